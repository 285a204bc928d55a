import Foundation
import KubernetesClient
import KubernetesEnvtest

/// Which API server the benchmark runs the operator against.
enum BenchAPI: String, CaseIterable {
    /// `kwasm-dev-cluster`: the project's fake API server with its simulated kubelet, in its own process.
    case fake
    /// A real kube-apiserver + etcd (from `KWASM_TEST_ASSETS`, started fresh per run) with simulated Nodes
    /// created through the API and ``APIServerKubelet`` completing the installer Jobs.
    case real
}

/// The cluster of one benchmark run: a kubeconfig for it, its processes' CPU time, and how to stop it.
struct BenchCluster {
    let kubeconfig: String
    let cpuSeconds: () -> Double
    let stop: () -> Void
    /// Starts the in-process simulated kubelet when the cluster has none of its own.
    let startKubelet: (KubernetesClient) -> Task<Void, Never>?
}

extension BenchRun {
    func startCluster(work: String) async throws -> BenchCluster {
        switch api {
        case .fake: return try await startFakeCluster(work: work)
        case .real: return try await startRealCluster()
        }
    }

    private func startFakeCluster(work: String) async throws -> BenchCluster {
        let kubeconfig = work + "/kubeconfig"
        let cluster = try spawn(binDir + "/kwasm-dev-cluster", [
            "--kubeconfig", kubeconfig, "--nodes", String(nodes), "--install-milliseconds", String(installMilliseconds),
        ], log: work + "/cluster.log")
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: kubeconfig) {
            guard ContinuousClock.now < deadline, cluster.isRunning else {
                cluster.terminate()
                throw BenchError("kwasm-dev-cluster did not start; see \(work)/cluster.log")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return BenchCluster(
            kubeconfig: kubeconfig, cpuSeconds: { cpuSeconds(pid: cluster.processIdentifier) },
            stop: { cluster.terminate(); cluster.waitUntilExit() }, startKubelet: { _ in nil })
    }

    private func startRealCluster() async throws -> BenchCluster {
        if let reason = EnvtestControlPlane.unavailableReason { throw BenchError("--api real: \(reason)") }
        let plane = try await EnvtestControlPlane.start(crdPaths: TestServer.crdPaths)
        do {
            let client = try KubernetesClient(configuration: ClientConfiguration.load(kubeconfigPath: plane.kubeconfigPath))
            defer { Task { try? await client.shutdown() } }
            try await createNamespace("kwasm", client: client)
            try await createNodes(client: client)
        } catch {
            plane.stop()
            throw error
        }
        let installTime = Duration.milliseconds(installMilliseconds)
        return BenchCluster(
            kubeconfig: plane.kubeconfigPath, cpuSeconds: { plane.pids.map { cpuSeconds(pid: $0) }.reduce(0, +) },
            stop: { plane.stop() },
            startKubelet: { client in Task { await APIServerKubelet(client: client, installTime: installTime).run() } })
    }

    private func createNamespace(_ name: String, client: KubernetesClient) async throws {
        _ = try await client.apply(BenchNamespace(name: name), fieldManager: "kwasm-operator-bench")
    }

    /// `node-0` … `node-(N-1)`, Ready, with the node info a kubelet publishes; 32 creations in flight.
    private func createNodes(client: KubernetesClient) async throws {
        let now = Time.now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let perWorker = (nodes + 31) / 32
            for worker in 0..<32 {
                let range = min(nodes, worker * perWorker)..<min(nodes, (worker + 1) * perWorker)
                group.addTask {
                    for index in range {
                        let name = "node-\(index)"
                        _ = try await client.create(Node(metadata: ObjectMeta(name: name, labels: ["kubernetes.io/hostname": name])))
                        let status: JSONValue = ["status": [
                            "nodeInfo": [
                                "machineID": .string("machine-\(name)"), "bootID": "boot-1", "systemUUID": .string("uuid-\(name)"),
                                "kernelVersion": "6.1.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                                "containerRuntimeVersion": "containerd://1.6.20", "kubeletVersion": "v1.28.7",
                                "kubeProxyVersion": "v1.28.7", "operatingSystem": "linux", "architecture": "amd64",
                            ],
                            "conditions": [[
                                "type": "Ready", "status": "True", "reason": "KubeletReady", "message": "simulated",
                                "lastHeartbeatTime": .string(now.description), "lastTransitionTime": .string(now.description),
                            ]],
                        ]]
                        let _: Node = try await client.patchStatus(Node.self, name: name, patch: status)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// A `v1` Namespace, only to create the installer Jobs' namespace.
struct BenchNamespace: KubernetesResource {
    static let resource = ResourceDescriptor(group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false, hasStatus: true)
    var apiVersion: String? = "v1"
    var kind: String? = "Namespace"
    var metadata: ObjectMeta

    init(name: String) { metadata = ObjectMeta(name: name) }
}
