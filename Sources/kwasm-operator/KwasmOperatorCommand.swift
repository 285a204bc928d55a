import ArgumentParser
import Foundation
import KubernetesClient
import Logging
import WasmOperator

/// `kwasm-operator [run|cleanup] …` — flags as in docs/design/contracts.md.
@main
struct KwasmOperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kwasm-operator",
        abstract: "Gives Kubernetes nodes WebAssembly runtimes: installer Jobs, per-node WasmNodeStatus, RuntimeClasses.",
        subcommands: [Run.self, Cleanup.self],
        defaultSubcommand: Run.self)
}

struct SharedOptions: ParsableArguments {
    @Option(help: "Kubeconfig file (default: in-cluster, else KUBECONFIG, else ~/.kube/config).")
    var kubeconfig: String?
    @Option(help: "Namespace of the installer Jobs (default: POD_NAMESPACE, else kwasm).")
    var namespace: String?
    @Option(help: "Installer image, repo:tag or repo@sha256:… (required).")
    var installerImage: String?
    @Option(help: "Always, IfNotPresent or Never.")
    var installerImagePullPolicy = "IfNotPresent"
    @Option(help: "Image pull secret for the installer (repeatable).")
    var imagePullSecret: [String] = []
    @Option(help: "Runtimes from the catalog, comma separated.")
    var runtimes = "spin,wasmtime"
    @Option(help: "Nodes installing at once; 0 = one per 10 selected nodes, at least 1.")
    var maxParallel = 0
    @Option(help: "Installer restart strategy: auto, systemd, k3s, rke2, microk8s, k0s, none, command.")
    var restartStrategy = "auto"
    @Option(help: "Installer Job activeDeadlineSeconds.")
    var jobActiveDeadline = 600
    @Option(help: "Installer Job ttlSecondsAfterFinished.")
    var jobTtl = 3600
    @Option(help: "Installer Job backoffLimit (the operator retries with new Jobs itself).")
    var jobBackoffLimit = 0
    @Option(help: "Installer priorityClassName; empty for none.")
    var jobPriorityClass = "system-node-critical"
    @Option(help: "Installer container resources as JSON.")
    var installerResources = #"{"requests":{"cpu":"50m","memory":"64Mi"},"limits":{"memory":"256Mi"}}"#
    @Option(help: "Log format: text or json.")
    var logFormat = "text"
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func flags() -> OperatorFlags {
        var flags = OperatorFlags()
        flags.kubeconfig = kubeconfig
        flags.namespace = namespace
        flags.installerImage = installerImage
        flags.installerImagePullPolicy = installerImagePullPolicy
        flags.imagePullSecrets = imagePullSecret
        flags.runtimes = runtimes
        flags.maxParallel = maxParallel
        flags.restartStrategy = restartStrategy
        flags.jobActiveDeadline = jobActiveDeadline
        flags.jobTTL = jobTtl
        flags.jobBackoffLimit = jobBackoffLimit
        flags.jobPriorityClass = jobPriorityClass
        flags.installerResources = installerResources
        flags.logFormat = logFormat
        flags.logLevel = logLevel
        return flags
    }
}

func makeClient(_ configuration: OperatorConfiguration, metrics: OperatorMetrics, logger: Logger) throws -> KubernetesClient {
    let clientConfiguration = try ClientConfiguration.load(kubeconfigPath: configuration.kubeconfig)
    return try KubernetesClient(configuration: clientConfiguration, logger: logger, observer: { metrics.observe($0) })
}

func validated(_ flags: OperatorFlags) throws -> OperatorConfiguration {
    do {
        return try OperatorConfiguration(flags: flags, environment: ProcessInfo.processInfo.environment)
    } catch {
        throw ValidationError(error.description)
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the operator (default).")

    @OptionGroup var shared: SharedOptions
    @Option(help: "Label selector that also selects nodes (for clusters that re-create nodes without annotations).")
    var nodeSelector: String?
    @Flag(help: "Select every node.")
    var autoProvision = false
    @Option(help: "Drift check interval, e.g. 10m; 0 disables periodic checks (jittered ±10 %).")
    var driftInterval = "10m"
    @Option(help: "Attempts per spec before a node is marked Failed.")
    var maxAttempts = 5
    @Flag(help: "Elect a leader with a coordination.k8s.io Lease.")
    var leaderElect = false
    @Option(help: "Namespace of the Lease (default: --namespace).")
    var leaderElectionNamespace: String?
    @Option(help: "Name of the Lease.")
    var leaseName = "kwasm-operator"
    @Option(help: "Address of /healthz and /readyz (0 disables).")
    var healthProbeBindAddress = ":8081"
    @Option(help: "Address of /metrics (0 disables).")
    var metricsBindAddress = ":8080"

    func run() async throws {
        var flags = shared.flags()
        flags.nodeSelector = nodeSelector
        flags.autoProvision = autoProvision
        flags.driftInterval = driftInterval
        flags.maxAttempts = maxAttempts
        flags.leaderElect = leaderElect
        flags.leaderElectionNamespace = leaderElectionNamespace
        flags.leaseName = leaseName
        flags.healthProbeBindAddress = healthProbeBindAddress
        flags.metricsBindAddress = metricsBindAddress
        let configuration = try validated(flags)
        let logger = Logger.operatorLogger(label: "kwasm-operator", format: configuration.logFormat, level: configuration.logLevel)
        let metrics = OperatorMetrics()
        let client = try makeClient(configuration, metrics: metrics, logger: logger)
        let kwasm = KwasmOperator(configuration: configuration, client: client, metrics: metrics, logger: logger)
        do {
            try await kwasm.run()
        } catch {
            logger.error("operator failed", metadata: ["error": "\(error)"])
            try? await client.shutdown()
            throw ExitCode.failure
        }
        try? await client.shutdown()
    }
}

struct Cleanup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Uninstall from every provisioned node, then delete RuntimeClasses and statuses (Helm delete hook).")

    @OptionGroup var shared: SharedOptions
    @Option(help: "Give up after this long, e.g. 15m.")
    var timeout = "15m"
    @Option(help: "Namespace of the coordination Lease (default: --namespace).")
    var leaderElectionNamespace: String?
    @Option(help: "Operator Lease name; cleanup uses <name>-cleanup to pause a running operator.")
    var leaseName = "kwasm-operator"

    func run() async throws {
        var flags = shared.flags()
        flags.leaderElectionNamespace = leaderElectionNamespace
        flags.leaseName = leaseName
        flags.healthProbeBindAddress = "0"
        flags.metricsBindAddress = "0"
        let configuration = try validated(flags)
        let limit: Duration
        do { limit = try DurationParser.parse(timeout) } catch { throw ValidationError("--timeout: \(error.description)") }
        let logger = Logger.operatorLogger(label: "kwasm-operator-cleanup", format: configuration.logFormat, level: configuration.logLevel)
        let client = try makeClient(configuration, metrics: OperatorMetrics(), logger: logger)
        let outcome = try await KwasmOperator.cleanup(configuration: configuration, client: client, logger: logger, timeout: limit)
        try? await client.shutdown()
        print(outcome.message)
        if !outcome.succeeded { throw ExitCode.failure }
    }
}
