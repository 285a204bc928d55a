import ArgumentParser
import ClusterSimulator
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
        var options = LocalCluster.Options()
        options.port = port
        options.nodes = nodes
        options.annotate = annotate
        options.namespace = namespace
        options.firstNodeMachineID = machineId
        options.publishRuntimeHandlers = publishRuntimeHandlers
        options.behavior = behavior
        let local = try await LocalCluster.start(options, logger: logger)
        try local.writeKubeconfig(to: kubeconfig)
        logger.notice("simulated cluster running", metadata: [
            "server": "\(local.api.baseURL)", "nodes": "\(nodes)", "kubeconfig": "\(kubeconfig)",
        ])
        print("kwasm-dev-cluster: \(nodes) node(s) at \(local.api.baseURL); kubeconfig \(kubeconfig)")
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
        await local.stop()
    }
}

/// Keeps signal sources alive for the life of the process.
enum SignalSources {
    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    static func keep(_ source: any DispatchSourceSignal) { sources.append(source) }
}
