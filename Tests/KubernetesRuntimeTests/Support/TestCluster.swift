import FakeKubernetesAPI
import Foundation
import KubernetesClient
import KubernetesEnvtest
import KubernetesRuntime
import Synchronization
import Testing

typealias FakeJSON = FakeKubernetesAPI.JSONValue
typealias FakeResource = FakeKubernetesAPI.ResourceDescriptor

/// An API server (the fake, or the process's real kube-apiserver) and a client talking to it over HTTP.
///
/// These tests use fixed names (nodes `a`, `b`; the Lease `default/kwasm-operator`), so tests on the shared
/// real server take turns and start from a server without Nodes, Leases or Events in `default`.
struct TestCluster {
    let server: TestServer
    let client: KubernetesClient
    let requests: RequestCounter

    /// The fake, for tests that inject faults only it can (they run against the fake alone).
    var api: FakeAPIServer { server.fake! }

    static func run(_ kind: TestServerKind, _ body: (TestCluster) async throws -> Void) async throws {
        if kind == .real { await RealServerTurns.shared.acquire() }
        defer { if kind == .real { Task { await RealServerTurns.shared.release() } } }
        let server = try await TestServer.start(kind)
        let requests = RequestCounter()
        let client = try KubernetesClient(
            configuration: ClientConfiguration(
                server: server.url, tls: server.tls, credentials: server.credentials, requestTimeout: .seconds(10), retry: .none),
            observer: { requests.record(verb: $0.verb.rawValue, resource: $0.resource) })
        let cluster = TestCluster(server: server, client: client, requests: requests)
        do {
            if kind == .real { try await cluster.removeLeftovers() }
            try await body(cluster)
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
        try await client.shutdown()
        await server.stop()
    }

    private func removeLeftovers() async throws {
        try await client.deleteAll(Node.self)
        try await client.deleteAll(Lease.self, namespace: "default")
        try await client.deleteAll(Event.self, namespace: "default")
        try await eventually("the previous test's objects are gone") {
            let nodes = try await client.list(Node.self).items
            let leases = try await client.list(Lease.self, namespace: "default").items
            return nodes.isEmpty && leases.isEmpty
        }
        requests.reset()
    }

    @discardableResult
    func createNode(_ name: String, labels: [String: String] = [:]) async throws -> Node {
        try await client.create(Node(metadata: ObjectMeta(name: name, labels: labels.isEmpty ? nil : labels)))
    }

    func labelNode(_ name: String, _ key: String, _ value: String) async throws {
        _ = try await client.mergePatch(Node.self, name: name, patch: ["metadata": ["labels": [key: .string(value)]]])
    }

    func deleteNode(_ name: String) async throws {
        try await client.delete(Node.self, name: name)
    }

    /// Node names on the server, sorted.
    func nodeNames() async throws -> [String] {
        try await client.list(Node.self).items.compactMap(\.metadata.name).sorted()
    }

    /// Requests this cluster's client made, by verb, for a resource's plural (e.g. `leases`).
    func requestCounts(resource: String) -> [String: Int] {
        requests.counts(resource: resource)
    }
}

/// Counts a client's HTTP attempts by resource plural and verb: the same numbers on either server.
final class RequestCounter: Sendable {
    private let counts = Mutex<[String: [String: Int]]>([:])

    func record(verb: String, resource: String) {
        let plural = String(resource.prefix { $0 != "." })
        counts.withLock { $0[plural, default: [:]][verb, default: 0] += 1 }
    }

    func counts(resource: String) -> [String: Int] { counts.withLock { $0[resource] ?? [:] } }
    func reset() { counts.withLock { $0 = [:] } }
}

/// Tests against the shared real server run one at a time.
actor RealServerTurns {
    static let shared = RealServerTurns()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy { busy = true; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
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

/// A fast backoff for tests talking to the API server.
func quickBackoff() -> Backoff {
    Backoff(initial: .milliseconds(20), maximum: .milliseconds(200), jitter: 0.2)
}
