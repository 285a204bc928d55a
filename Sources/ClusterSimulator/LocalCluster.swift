import FakeKubernetesAPI
import Foundation
import Logging

/// A simulated cluster served over real HTTP for an operator running as its own process: the fake API
/// server, the installer Jobs' namespace, nodes `node-0` … `node-(N-1)`, the simulated kubelet, and a
/// kubeconfig file pointing at the server. Shared by `kwasm-dev-cluster` (scripts/demo.sh) and the
/// end-to-end tests, so both set the cluster up the same way.
public final class LocalCluster: Sendable {
    /// How the cluster is set up.
    public struct Options: Sendable {
        /// Port of the API server (0 picks a free one).
        public var port = 0
        /// Simulated nodes to create.
        public var nodes = 1
        /// Annotate every node with `kwasm.sh/kwasm-node=true` at start.
        public var annotate = false
        /// Namespace of the installer Jobs (created at start).
        public var namespace = "kwasm"
        /// `node-0`'s `status.nodeInfo.machineID` (execute mode: the sandbox's `/etc/machine-id`).
        public var firstNodeMachineID: String?
        /// Publish `node.status.runtimeHandlers` after installs (kubelet ≥ 1.30).
        public var publishRuntimeHandlers = false
        /// How the simulated kubelet's installer containers end (simulated reports, or
        /// ``InstallerProcessRunner/behavior`` to run the real installer).
        public var behavior: SimulatedCluster.Behavior = SimulatedCluster.succeedAfter(.milliseconds(1000))

        public init() {}
    }

    public let api: FakeAPIServer
    public let cluster: SimulatedCluster
    public let namespace: String

    private init(api: FakeAPIServer, cluster: SimulatedCluster, namespace: String) {
        self.api = api
        self.cluster = cluster
        self.namespace = namespace
    }

    /// Starts the API server, creates the namespace and the nodes, and starts the kubelet.
    public static func start(_ options: Options, logger: Logger) async throws -> LocalCluster {
        var serverOptions = FakeAPIServer.Options()
        serverOptions.historyLimit = max(100_000, options.nodes * 50)
        serverOptions.requestLogLimit = 1000
        let api = FakeAPIServer(options: serverOptions)
        _ = try await api.start(port: options.port)
        do {
            try api.create(.namespaces, ["metadata": ["name": .string(options.namespace)]])
            let cluster = SimulatedCluster(
                api: api, logger: logger, behavior: options.behavior, publishRuntimeHandlers: options.publishRuntimeHandlers)
            for index in 0..<options.nodes {
                try cluster.addNode(SimulatedNode(
                    name: "node-\(index)", annotations: options.annotate ? ["kwasm.sh/kwasm-node": "true"] : [:],
                    machineID: index == 0 ? options.firstNodeMachineID : nil,
                    runtimeHandlers: options.publishRuntimeHandlers ? [] : nil))
            }
            cluster.start()
            return LocalCluster(api: api, cluster: cluster, namespace: options.namespace)
        } catch {
            await api.shutdown()
            throw error
        }
    }

    /// A kubeconfig for this cluster (no credentials: the fake server accepts anonymous requests).
    public var kubeconfig: String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: kwasm-dev
          cluster:
            server: \(api.baseURL)
        users:
        - name: kwasm-dev
          user: {}
        contexts:
        - name: kwasm-dev
          context:
            cluster: kwasm-dev
            user: kwasm-dev
            namespace: \(namespace)
        current-context: kwasm-dev

        """
    }

    /// Writes ``kubeconfig`` to `path` atomically (a reader polling for the file never sees half of it).
    public func writeKubeconfig(to path: String) throws {
        let temporary = path + ".tmp"
        try kubeconfig.write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// Stops the kubelet and the API server. An installer process the kubelet started keeps running:
    /// callers that run the real installer stop those themselves.
    public func stop() async {
        cluster.stop()
        await api.shutdown()
    }
}
