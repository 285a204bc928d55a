import Foundation
import KubernetesClient
import KubernetesRuntime
import Logging
import ServiceLifecycle
import Synchronization

/// `kwasm-operator cleanup`: uninstall from every provisioned node (under the rollout cap),
/// wait, delete our RuntimeClasses, statuses and labels, and report.
public struct CleanupOutcome: Sendable, Equatable, CustomStringConvertible {
    public var succeeded: Bool
    public var message: String
    public var description: String { message }
}

extension KwasmOperator {
    public static func cleanup(
        configuration: OperatorConfiguration, client: KubernetesClient, logger: Logger, timeout: Duration,
        handleSignals: Bool = true
    ) async throws -> CleanupOutcome {
        let kwasm = KwasmOperator(configuration: configuration, client: client, logger: logger, cleanup: true)
        let createdPause = try await CleanupPause.renew(client: client, configuration: configuration)
        let outcome = OutcomeBox()
        let monitor = CleanupMonitor(operator: kwasm, timeout: timeout, outcome: outcome, logger: logger)
        // When the monitor has its answer the whole group shuts down gracefully.
        let services = kwasm.coreServices().map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
            + [.init(service: monitor, successTerminationBehavior: .gracefullyShutdownGroup)]
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [], logger: logger))
        kwasm.group.withLock { $0 = group }
        logger.info("cleanup: uninstalling wasm runtimes from every node")
        try await group.run()
        let result = outcome.value.withLock { $0 } ?? CleanupOutcome(succeeded: false, message: "cleanup interrupted before it finished")
        // Success keeps a running operator paused until Helm deletes it; a failure lets it resume.
        if result.succeeded {
            await CleanupPause.finish(created: createdPause, client: client, configuration: configuration)
        } else {
            await CleanupPause.release(created: createdPause, client: client, configuration: configuration)
        }
        return result
    }
}

struct CleanupMonitor: Service {
    let `operator`: KwasmOperator
    let timeout: Duration
    let outcome: OutcomeBox
    let logger: Logger

    func run() async throws {
        let context = `operator`.context
        let start = ContinuousClock.now
        let deadline = start + timeout
        try? await cancelWhenGracefulShutdown {
            var lastRenew = ContinuousClock.now
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(250))
                guard `operator`.isReady else { continue }
                if ContinuousClock.now - lastRenew > .seconds(30) {
                    try? await CleanupPause.renew(client: context.client, configuration: context.configuration)
                    lastRenew = ContinuousClock.now
                }
                let remaining = context.statuses.list()
                let labelled = context.nodes.list().filter { $0.metadata.labels?[WellKnown.provisionedLabel] != nil }
                let running = context.rolloutGate.holders()
                let stuck = remaining.filter { $0.status?.phase == .failed && $0.status?.lastJob?.hasPrefix("kwasm-uninstall-") == true }
                // Not done before every running operator has seen the pause: a write it had
                // already planned would otherwise land after our last look.
                let settled = ContinuousClock.now - start >= CleanupPause.settle
                if remaining.count == stuck.count, labelled.isEmpty, running.isEmpty, settled {
                    do {
                        try await RuntimeClassReconciler.sync(context, removeAll: true)
                    } catch {
                        logger.warning("cleanup: deleting RuntimeClasses failed, retrying", metadata: ["error": "\(error)"])
                        continue
                    }
                    if stuck.isEmpty {
                        finish(CleanupOutcome(succeeded: true, message: "cleanup complete: runtimes uninstalled, RuntimeClasses and statuses deleted"))
                    } else {
                        let names = stuck.map { "\($0.metadata.name ?? "")(\($0.status?.lastError?.code ?? "?"): \($0.status?.lastError?.message ?? ""))" }
                        finish(CleanupOutcome(succeeded: false, message: "cleanup finished, but uninstall failed on \(stuck.count) node(s): \(names.joined(separator: "; "))"))
                    }
                    break
                }
                if ContinuousClock.now >= deadline {
                    let pending = remaining.map { "\($0.metadata.name ?? "")=\($0.status?.phase?.rawValue ?? "Pending")" }.sorted()
                    finish(CleanupOutcome(succeeded: false, message: "cleanup timed out after \(timeout): \(pending.count) node(s) not yet uninstalled: \(pending.prefix(20).joined(separator: ", "))\(pending.count > 20 ? ", …" : "")"))
                    break
                }
            }
        }
    }

    func finish(_ result: CleanupOutcome) {
        outcome.value.withLock { $0 = result }
        result.succeeded ? logger.notice("\(result.message)") : logger.error("\(result.message)")
    }
}

final class OutcomeBox: Sendable {
    let value = Mutex<CleanupOutcome?>(nil)
}
