import FakeKubernetesAPI
import Foundation
import KubernetesClient

/// The two API servers one integration suite runs against: the project's fake, and a real kube-apiserver + etcd.
public enum TestServerKind: String, Sendable, CaseIterable, CustomStringConvertible {
    case fake
    case real

    public var description: String { rawValue }

    /// The servers to run against here: the fake always; the real one when `KWASM_TEST_ASSETS` provides it
    /// (otherwise this says once, on stderr, that the real-server runs are skipped and why).
    public static let available: [TestServerKind] = {
        if let reason = EnvtestControlPlane.unavailableReason {
            FileHandle.standardError.write(Data("\n*** SKIPPED: the integration tests against a real kube-apiserver: \(reason) ***\n".utf8))
            return [.fake]
        }
        return [.fake, .real]
    }()
}

/// One test's server: a fresh fake, or the process's shared real control plane. Each test gets its own
/// namespace and a unique suffix for the names of cluster-scoped objects, so tests sharing the real server
/// never see each other's objects.
public struct TestServer: Sendable {
    public let kind: TestServerKind
    /// The fake, for the few assertions only it can answer (request counts, fault injection); `nil` when real.
    public let fake: FakeAPIServer?
    public let url: String
    public let tls: TLSOptions
    public let credentials: Credentials
    /// Unique per test: lower-case letters and digits.
    public let id: String
    /// This test's namespace (created on start).
    public let namespace: String

    /// The operator's CRDs, installed into the real server.
    public static let crdPaths: [String] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("charts/kwasm-operator/crds").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { "\(dir)/\($0)" }
    }()

    /// Starts (fake) or attaches to (real) a server and creates this test's namespace.
    public static func start(_ kind: TestServerKind, fakeOptions: FakeAPIServer.Options = .init()) async throws -> TestServer {
        let id = String(UUID().uuidString.lowercased().filter { $0 != "-" }.prefix(8))
        let server: TestServer
        switch kind {
        case .fake:
            var options = fakeOptions
            options.requireExistingNamespace = true  // as a real server: objects only go into existing namespaces
            let api = FakeAPIServer(options: options)
            _ = try await api.start(host: "127.0.0.1", port: 0)
            server = TestServer(kind: kind, fake: api, url: api.baseURL, tls: TLSOptions(),
                                credentials: fakeOptions.bearerToken.map { .token($0) } ?? .none, id: id, namespace: "t-\(id)")
        case .real:
            let plane = try await EnvtestControlPlane.shared(crdPaths: crdPaths)
            server = TestServer(kind: kind, fake: nil, url: plane.url,
                                tls: TLSOptions(certificateAuthorityPEM: Array(plane.certificateAuthorityPEM.utf8)),
                                credentials: .token(plane.token), id: id, namespace: "t-\(id)")
        }
        try await server.createNamespace(server.namespace)
        return server
    }

    /// Creates a namespace on this server (`namespace` already exists).
    public func createNamespace(_ name: String) async throws {
        let client = try makeClient()
        do {
            _ = try await client.create(TestNamespace(name: name))
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// A client for this server, defaulting to this test's namespace.
    public func makeClient(
        credentials: Credentials? = nil, requestTimeout: Duration = .seconds(30), retry: RetryPolicy = .none
    ) throws -> KubernetesClient {
        try KubernetesClient(configuration: ClientConfiguration(
            server: url, tls: tls, credentials: credentials ?? self.credentials, defaultNamespace: namespace,
            requestTimeout: requestTimeout, retry: retry))
    }

    /// `base` made unique to this test (for cluster-scoped objects): `base-ID`.
    public func name(_ base: String) -> String { "\(base)-\(id)" }

    /// A label every object of this test may carry, to select only this test's objects on a shared server.
    public var label: (key: String, value: String) { ("kwasm-test/run", id) }
    public var labelSelector: String { "kwasm-test/run=\(id)" }

    /// Shuts the fake down; the real control plane lives until the process exits.
    public func stop() async {
        await fake?.shutdown()
    }

    /// Starts a server, runs `body` with a client, and shuts both down whether `body` throws or not.
    public static func run(
        _ kind: TestServerKind, fakeOptions: FakeAPIServer.Options = .init(), retry: RetryPolicy = .none,
        _ body: (TestServer, KubernetesClient) async throws -> Void
    ) async throws {
        let server = try await start(kind, fakeOptions: fakeOptions)
        let client = try server.makeClient(retry: retry)
        do {
            try await body(server, client)
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
        try await client.shutdown()
        await server.stop()
    }
}

/// A `v1` Namespace, only to create a test's own.
struct TestNamespace: KubernetesResource {
    static let resource = ResourceDescriptor(group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false, hasStatus: true)
    var apiVersion: String? = "v1"
    var kind: String? = "Namespace"
    var metadata: ObjectMeta

    init(name: String) { metadata = ObjectMeta(name: name) }
}
