import ArgumentParser
import ClusterSimulator
import FakeKubernetesAPI
import Foundation
import Logging

/// Runs a simulated cluster (fake API server + simulated kubelet) as its own process and
/// writes a kubeconfig for the operator. Used by scripts/demo.sh and kwasm-operator-bench.
@main
struct DevClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kwasm-dev-cluster",
        abstract: "A simulated Kubernetes cluster (fake API server and kubelet) for running kwasm-operator locally.")

    @Option(help: "Where to write the kubeconfig.")
    var kubeconfig: String
    @Option(help: "Port of the API server (0 picks a free one).")
    var port = 0
    @Option(help: "Simulated nodes to create, named node-0 … node-(N-1).")
    var nodes = 1
    @Option(help: "Annotate the nodes with kwasm.sh/kwasm-node=true at start.")
    var annotate = false
    @Option(help: "Simulated installer run time in milliseconds.")
    var installMilliseconds = 1000
    @Option(help: "Publish node.status.runtimeHandlers (kubelet ≥ 1.30) after installs.")
    var publishRuntimeHandlers = false
    @Option(help: "Namespace for installer Jobs (created at start).")
    var namespace = "kwasm"
    @Option(help: "simulate: fake installer reports; execute: run the Job's kwasm-node-installer command for real.")
    var mode = "simulate"
    @Option(help: "execute mode: path of the kwasm-node-installer binary.")
    var installer: String?
    @Option(help: "execute mode: the sandbox host root the installer works on (KWASM_HOST_ROOT).")
    var hostRoot: String?
    @Option(help: "execute mode: extra environment for the installer, KEY=VALUE (repeatable).")
    var installerEnv: [String] = []
    @Option(help: "node-0's node.status.nodeInfo.machineID (execute mode: the sandbox's /etc/machine-id).")
    var machineId: String?
    @Option(help: "Log level.")
    var logLevel = "notice"

    func run() async throws {
        var logger = Logger(label: "kwasm-dev-cluster")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
        var options = FakeAPIServer.Options()
        options.historyLimit = max(100_000, nodes * 50)
        options.requestLogLimit = 1000
        let api = FakeAPIServer(options: options)
        let boundPort = try await api.start(port: port)
        try api.create(.namespaces, ["metadata": ["name": .string(namespace)]])

        let behavior: SimulatedCluster.Behavior
        switch mode {
        case "simulate":
            behavior = SimulatedCluster.succeedAfter(.milliseconds(installMilliseconds))
        case "execute":
            guard let installer, let hostRoot else {
                throw ValidationError("--mode execute needs --installer and --host-root")
            }
            var extra: [String: String] = [:]
            for pair in installerEnv {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--installer-env expects KEY=VALUE, got \(pair)") }
                extra[parts[0]] = parts[1]
            }
            behavior = InstallerProcessRunner(installer: installer, hostRoot: hostRoot, environment: extra, logger: logger).behavior
        default:
            throw ValidationError("--mode must be simulate or execute")
        }
        let cluster = SimulatedCluster(api: api, logger: logger, behavior: behavior, publishRuntimeHandlers: publishRuntimeHandlers)
        for index in 0..<nodes {
            try cluster.addNode(SimulatedNode(
                name: "node-\(index)", annotations: annotate ? ["kwasm.sh/kwasm-node": "true"] : [:],
                machineID: index == 0 ? machineId : nil,
                runtimeHandlers: publishRuntimeHandlers ? [] : nil))
        }
        cluster.start()

        let config = """
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
        let temporary = kubeconfig + ".tmp"
        try config.write(toFile: temporary, atomically: false, encoding: .utf8)
        _ = rename(temporary, kubeconfig)
        logger.notice("simulated cluster running", metadata: [
            "server": "\(api.baseURL)", "port": "\(boundPort)", "nodes": "\(nodes)", "kubeconfig": "\(kubeconfig)",
        ])
        print("kwasm-dev-cluster: \(nodes) node(s) at \(api.baseURL); kubeconfig \(kubeconfig)")
        fflush(nil)

        // Until SIGTERM/SIGINT.
        let signals = AsyncStream<Int32> { continuation in
            for signalNumber in [SIGTERM, SIGINT] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber)
                source.setEventHandler { continuation.yield(signalNumber) }
                source.resume()
                SignalSources.keep(source)
            }
        }
        for await _ in signals { break }
        cluster.stop()
        await api.shutdown()
    }
}

/// Keeps signal sources alive for the life of the process.
enum SignalSources {
    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    static func keep(_ source: any DispatchSourceSignal) { sources.append(source) }
}
