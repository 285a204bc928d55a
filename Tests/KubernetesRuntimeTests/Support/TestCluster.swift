import KubernetesRuntime
import FakeKubernetesAPI
import Foundation
import KubernetesClient
import Testing

typealias FakeJSON = FakeKubernetesAPI.JSONValue
typealias FakeResource = FakeKubernetesAPI.ResourceDescriptor

/// A started fake API server and a real client talking to it over HTTP.
struct FakeCluster {
    let api: FakeAPIServer
    let client: KubernetesClient

    static func run(_ body: (FakeCluster) async throws -> Void) async throws {
        let api = FakeAPIServer()
        _ = try await api.start(host: "127.0.0.1", port: 0)
        let client = try KubernetesClient(configuration: ClientConfiguration(
            server: api.baseURL, requestTimeout: .seconds(10), retry: .none))
        let cluster = FakeCluster(api: api, client: client)
        do {
            try await body(cluster)
        } catch {
            try? await client.shutdown()
            await api.shutdown()
            throw error
        }
        try await client.shutdown()
        await api.shutdown()
    }

    @discardableResult
    func createNode(_ name: String, labels: [String: String] = [:]) throws -> FakeJSON {
        var metadata: FakeJSON = ["name": .string(name)]
        if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues { .string($0) }) }
        return try api.create(["apiVersion": "v1", "kind": "Node", "metadata": metadata])
    }

    func labelNode(_ name: String, _ key: String, _ value: String) throws {
        try api.mergePatch(.nodes, name: name, ["metadata": ["labels": [key: .string(value)]]])
    }

    func deleteNode(_ name: String) throws {
        try api.delete(.nodes, name: name)
    }

    /// Node names on the server, sorted.
    func nodeNames() throws -> [String] {
        try api.list(.nodes).compactMap { $0["metadata"]?["name"]?.stringValue }.sorted()
    }
}

/// Polls `condition` until it holds; fails the test after `timeout`. For convergence checks
/// only — the timeout is a safety net, never a performance assertion.
func eventually(
    _ description: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting until \(description)", sourceLocation: sourceLocation)
    throw CancellationError()
}

/// A fast backoff for tests talking to the fake server.
func quickBackoff() -> Backoff {
    Backoff(initial: .milliseconds(20), maximum: .milliseconds(200), jitter: 0.2)
}
