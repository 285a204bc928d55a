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
        let now = Date()

        func makePlan(slot: Bool) -> NodePlan {
            NodePlanner.plan(NodePlanInput(
                nodeName: name, node: node, status: status, jobs: jobs, configuration: context.configuration,
                specHash: context.specHash, now: now, rolloutSlotAvailable: slot, cleanup: context.cleanup))
        }

        // The slot decisions and the plan that depends on them, with one count of the slots in use.
        var holdsSlot = false
        var woken: [String] = []
        let plan = context.withSlots { slots, running, cap -> NodePlan in
            var plan = makePlan(slot: slots.available(for: name, active: running, cap: cap, now: now))
            if let start = plan.startJob, start.operation.needsRolloutSlot {
                holdsSlot = slots.acquire(name, active: running, cap: cap, now: now)
                if !holdsSlot { plan = makePlan(slot: false) }
            } else if plan.waitingForSlot {
                // Queue as waiting (or take a slot that has just freed).
                if slots.acquire(name, active: running, cap: cap, now: now) {
                    plan = makePlan(slot: true)
                    holdsSlot = plan.startJob?.operation.needsRolloutSlot == true
                    if !holdsSlot { slots.release(name) }
                }
            } else {
                // No Job to start: any grant this node held is either visible as a Job now
                // (counted from the caches) or no longer needed.
                slots.forget(name)
                slots.release(name)
            }
            woken = slots.popWaitingForFreeSlots(active: running, cap: cap, now: now)
            return plan
        }
        context.wake(woken)

        if plan.hasWrites {
            context.logger.debug("plan", metadata: [
                "node": "\(name)", "job": "\(plan.startJob.map { "\($0.operation.rawValue)#\($0.attempt)" } ?? "-")",
                "phase": "\(plan.status?.phase?.rawValue ?? "-")", "label": "\(plan.label.map { "\($0)" } ?? "-")",
                "deleteJobs": "\(plan.deleteJobs)",
            ])
        }
        do {
            return try await PlanExecutor(context: context, node: node, status: status).execute(plan, holdsSlot: holdsSlot)
        } catch {
            if holdsSlot { context.slots.withLock { $0.release(name) } }
            throw error
        }
    }
}

/// Carries out one ``NodePlan`` against the API server.
struct PlanExecutor {
    let context: OperatorContext
    let node: Node
    let status: WasmNodeStatus?

    var client: KubernetesClient { context.client }
    var name: String { node.metadata.name ?? "" }

    func execute(_ plan: NodePlan, holdsSlot: Bool) async throws -> ReconcileAction {
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
        if let start = plan.startJob {
            if let gate = context.writeGate, await !gate() {
                if holdsSlot { context.slots.withLock { $0.release(name) } }
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
            } catch let error as KubernetesError where error.isAlreadyExists {
                if holdsSlot { context.slots.withLock { $0.release(name) } }
                return .requeue(after: .milliseconds(200))
            }
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
        var freedSlots = 0
        for jobName in plan.deleteJobs {
            let existing = context.jobs(for: name).first { $0.metadata.name == jobName }
            do {
                try await client.delete(Job.self, name: jobName, namespace: context.configuration.namespace, propagation: .background)
            } catch let error as KubernetesError where error.isNotFound {}
            context.jobs.deleted(ObjectKey(namespace: context.configuration.namespace, name: jobName), uid: existing?.metadata.uid)
            if !jobName.hasPrefix("kwasm-status-") { freedSlots += 1 }
        }
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
        if freedSlots > 0 {
            // Our deletes hide those Jobs from the count at once.
            context.wake(context.withSlots { slots, running, cap in slots.popWaitingForFreeSlots(active: running, cap: cap, now: Date()) })
        }
        return plan.requeueAfter.map { .requeue(after: $0) } ?? .done
    }
}
