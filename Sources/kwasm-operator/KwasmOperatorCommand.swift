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

    @OptionGroup var flags: OperatorFlags

    func run() async throws {
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

    @OptionGroup var flags: OperatorFlags
    @Option(help: "Give up after this long, e.g. 15m.")
    var timeout = "15m"

    func run() async throws {
        var flags = flags
        // Cleanup is a short-lived Job: no probe or metrics server.
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
