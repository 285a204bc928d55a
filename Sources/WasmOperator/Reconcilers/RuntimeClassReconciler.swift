import Foundation
import KubernetesClient
import KubernetesRuntime
import Logging
import ServiceLifecycle

/// Keeps one RuntimeClass per configured runtime (name = handler), scheduled only onto nodes
/// with the readiness label, and deletes our RuntimeClasses for runtimes no longer configured.
/// Written with server-side apply; nothing is written when the cache already matches.
public enum RuntimeClassReconciler {
    public struct Plan: Sendable, Equatable {
        public var apply: [RuntimeClass] = []
        public var delete: [String] = []
        public var isEmpty: Bool { apply.isEmpty && delete.isEmpty }
    }

    public static func desired(_ configuration: OperatorConfiguration) -> [RuntimeClass] {
        var seen = Set<String>()
        return configuration.runtimes.compactMap { runtime in
            guard seen.insert(runtime.handler).inserted else { return nil }
            return RuntimeClass(
                metadata: ObjectMeta(
                    name: runtime.handler,
                    labels: [WellKnown.managedByLabel: WellKnown.managedByValue, "kwasm.sh/runtime": runtime.name]),
                handler: runtime.handler,
                scheduling: .init(nodeSelector: [WellKnown.provisionedLabel: "true"]))
        }
    }

    /// `removeAll`: the operator is being uninstalled.
    public static func plan(desired: [RuntimeClass], existing: [RuntimeClass], removeAll: Bool = false) -> Plan {
        var plan = Plan()
        let existingByName = Dictionary(existing.map { ($0.metadata.name ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let wanted = removeAll ? [] : desired
        for runtimeClass in wanted {
            guard let current = existingByName[runtimeClass.metadata.name ?? ""] else {
                plan.apply.append(runtimeClass)
                continue
            }
            let labelsMatch = (runtimeClass.metadata.labels ?? [:]).allSatisfy { current.metadata.labels?[$0.key] == $0.value }
            if current.handler != runtimeClass.handler || current.scheduling?.nodeSelector != runtimeClass.scheduling?.nodeSelector
                || !labelsMatch
            {
                plan.apply.append(runtimeClass)
            }
        }
        let wantedNames = Set(wanted.compactMap(\.metadata.name))
        for current in existing where current.metadata.labels?[WellKnown.managedByLabel] == WellKnown.managedByValue {
            if let name = current.metadata.name, !wantedNames.contains(name) { plan.delete.append(name) }
        }
        plan.delete.sort()
        return plan
    }

    /// Applies the plan for the current cache; returns whether anything was written.
    @discardableResult
    public static func sync(_ context: OperatorContext, removeAll: Bool = false) async throws -> Bool {
        let plan = plan(desired: desired(context.configuration), existing: context.runtimeClasses.list(), removeAll: removeAll)
        if !plan.apply.isEmpty, let gate = context.writeGate, await !gate() { return false }
        for runtimeClass in plan.apply {
            let applied = try await context.client.apply(runtimeClass, fieldManager: WellKnown.fieldManager, force: true)
            context.runtimeClasses.wrote(applied)
            context.logger.info("applied RuntimeClass", metadata: ["runtimeClass": "\(runtimeClass.metadata.name ?? "")"])
        }
        for name in plan.delete {
            do {
                try await context.client.delete(RuntimeClass.self, name: name)
            } catch let error as KubernetesError where error.isNotFound {}
            context.runtimeClasses.deleted(ObjectKey(name: name), uid: nil)
            context.logger.info("deleted RuntimeClass", metadata: ["runtimeClass": "\(name)"])
        }
        return !plan.isEmpty
    }
}

/// Runs ``RuntimeClassReconciler`` while this replica leads: on start, whenever the
/// RuntimeClass cache changes, and every `interval` as a safety net.
struct RuntimeClassService: Service {
    let context: OperatorContext
    let elector: LeaderElector?
    let pause: CleanupPauseWatcher?
    let interval: Duration

    func run() async throws {
        // Graceful shutdown cancels the loop; that is a normal end, not a failure.
        _ = try? await cancelWhenGracefulShutdown {
            await context.runtimeClasses.waitUntilSynced()
            var backoff = Duration.milliseconds(200)
            while !Task.isCancelled {
                if elector?.isLeader ?? true, pause?.isPaused != true {
                    do {
                        try await RuntimeClassReconciler.sync(context)
                        backoff = .milliseconds(200)
                    } catch {
                        context.logger.warning("RuntimeClass sync failed", metadata: ["error": "\(error)"])
                        try await Task.sleep(for: backoff)
                        backoff = min(backoff * 2, .seconds(30))
                        continue
                    }
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
