import Foundation
import KubernetesClient
import KubernetesRuntime
import Logging

/// Reconciles one Node: gathers what the caches say, asks ``NodePlanner`` what to change and
/// carries the plan out. Writes are ordered so a crash at any point resumes cleanly: status
/// object, readiness label, Job, status, deletions, events.
public enum NodeReconciler {
    public static let controllerName = "node"

    /// Conflicts and cache lag resolve themselves on the next pass; everything else backs off.
    public static func errorPolicy(_ error: any Error, _ node: Node, _ context: OperatorContext) -> ReconcileAction {
        if let error = error as? KubernetesError, error.isConflict || error.isAlreadyExists {
            return .requeue(after: .milliseconds(200))
        }
        if let error = error as? KubernetesError, let retryAfter = error.retryAfter {
            return .requeue(after: retryAfter)
        }
        return .requeueWithBackoff
    }

    public static func reconcile(_ cachedNode: Node, _ context: OperatorContext) async throws -> ReconcileAction {
        guard let name = cachedNode.metadata.name else { return .done }
        let node = context.node(named: name, cached: cachedNode)
        let status = context.status(named: name)
        let pods = context.pods(for: name)
        let jobs = context.jobs(for: name).compactMap { InstallerJobObservation(job: $0, pods: pods) }
        let proposed = NodePlanner.plan(NodePlanInput(
            nodeName: name, node: node, status: status, jobs: jobs, configuration: context.configuration,
            specHash: context.specHash, now: Date(), cleanup: context.cleanup))

        // The gate picks between the plan and its waiting alternative; an admitted node holds
        // its slot through the Job's creation, then the caches count it.
        let gate = context.rolloutGate
        let admitted = proposed.needsRolloutSlot && gate.admit(name)
        if !proposed.needsRolloutSlot { gate.release(name) }
        defer { if admitted { gate.started(name) } }
        let plan = proposed.resolved(slotGranted: admitted)

        if plan.hasWrites {
            context.logger.debug("plan", metadata: [
                "node": "\(name)", "state": "\(plan.state.kind.rawValue)", "job": "\(plan.startJob.map { "\($0.operation.rawValue)#\($0.attempt)" } ?? "-")",
                "phase": "\(plan.status?.phase?.rawValue ?? "-")", "label": "\(plan.label.map { "\($0)" } ?? "-")",
                "deleteJobs": "\(plan.deleteJobs)",
            ])
        }
        return try await PlanExecutor(context: context, node: node, status: status).execute(plan)
    }
}

/// Carries out one ``NodePlan`` against the API server.
struct PlanExecutor {
    let context: OperatorContext
    let node: Node
    let status: WasmNodeStatus?

    var client: KubernetesClient { context.client }
    var name: String { node.metadata.name ?? "" }

    func execute(_ plan: NodePlan) async throws -> ReconcileAction {
        var statusObject = status
        if let create = plan.createStatusObject {
            do {
                let created = try await client.create(create)
                context.statuses.wrote(created)
                statusObject = created
            } catch let error as KubernetesError where error.isAlreadyExists {
                // Our cache has not seen it yet: plan again once it has.
                return .requeue(after: .milliseconds(200))
            }
        }
        // The readiness label goes first: removed before an installer restarts containerd,
        // set before the status says Ready.
        if let label = plan.label {
            let value: JSONValue = label == .set ? .string("true") : .null
            let patch: JSONValue = .object(["metadata": .object(["labels": .object([WellKnown.provisionedLabel: value])])])
            let updated: Node = try await client.mergePatch(Node.self, name: name, patch: patch)
            context.nodes.wrote(updated)
        }
        if let start = plan.startJob, let wait = try await startJob(start) {
            return wait
        }
        if let newStatus = plan.status, var object = statusObject {
            object.status = newStatus
            let updated = try await client.replaceStatus(object)
            context.statuses.wrote(updated)
            statusObject = updated
            if newStatus.phase != status?.status?.phase {
                context.logger.info("node phase", metadata: [
                    "node": "\(name)", "phase": "\(newStatus.phase?.rawValue ?? "")",
                    "reason": "\(newStatus.conditions?[type: ConditionType.ready]?.reason ?? "")",
                ])
            }
        }
        if let annotations = plan.statusAnnotations, statusObject != nil {
            let patch: JSONValue = .object(["metadata": .object(["annotations": .object(annotations.mapValues { .string($0) })])])
            let updated: WasmNodeStatus = try await client.mergePatch(WasmNodeStatus.self, name: name, patch: patch)
            context.statuses.wrote(updated)
        }
        let freedSlots = try await deleteJobs(plan.deleteJobs)
        if plan.deleteStatusObject, statusObject != nil {
            do {
                try await client.delete(WasmNodeStatus.self, name: name)
            } catch let error as KubernetesError where error.isNotFound {}
            context.statuses.deleted(ObjectKey(name: name), uid: statusObject?.metadata.uid)
        }
        for event in plan.events {
            await context.recorder.record(
                event.type == "Warning" ? .warning : .normal, reason: event.reason, action: event.action,
                note: event.note, regarding: node)
        }
        // Our deletes hide those Jobs from the gate's count at once.
        if freedSlots { context.rolloutGate.slotsFreed() }
        return plan.requeueAfter.map { .requeue(after: $0) } ?? .done
    }

    /// Creates the installer Job; returns when to come back if it was not created.
    func startJob(_ start: NodePlan.JobStart) async throws -> ReconcileAction? {
        if let gate = context.writeGate, await !gate() {
            return .requeue(after: CleanupPause.pollInterval)
        }
        let job = context.jobBuilder.job(operation: start.operation, node: node, attempt: start.attempt)
        do {
            var created = try await client.create(job, namespace: context.configuration.namespace)
            // Kept like the Job cache keeps Jobs: without the pod template, which nothing
            // reads and which was most of a Job's memory.
            created.spec = nil
            context.jobs.wrote(created)
            context.logger.info("started installer Job", metadata: [
                "node": "\(name)", "job": "\(created.metadata.name ?? "")", "operation": "\(start.operation.rawValue)",
                "attempt": "\(start.attempt)",
            ])
            return nil
        } catch let error as KubernetesError where error.isAlreadyExists {
            return .requeue(after: .milliseconds(200))
        }
    }

    /// Deletes recorded Jobs; returns whether one of them held a rollout slot.
    func deleteJobs(_ names: [String]) async throws -> Bool {
        var freedSlots = false
        let namespace = context.configuration.namespace
        for jobName in names {
            let key = ObjectKey(namespace: namespace, name: jobName)
            let existing = context.jobs.get(key)
            do {
                try await client.delete(Job.self, name: jobName, namespace: namespace, propagation: .background)
            } catch let error as KubernetesError where error.isNotFound {}
            context.jobs.deleted(key, uid: existing?.metadata.uid)
            if let existing, RolloutGate.node(holdingSlotBy: existing) != nil { freedSlots = true }
        }
        return freedSlots
    }
}
