import Foundation
import KubernetesClient

/// Where one node stands, classified from the planner's input before anything is decided:
/// ``NodePlanner`` first records finished Jobs, then classifies, then one `switch` over the
/// state produces the plan. The cluster holds no such field; the state is derived each time
/// from the WasmNodeStatus (phase, lastJob, attempts, lastError, conditions), the Node and the
/// Job cache, so a restarted operator finds every node where it left it.
///
/// docs/architecture.md draws these states and ``transitions`` as a diagram; a test keeps the
/// two in step.
public enum NodeState: Sendable, Equatable {
    /// The Node is gone or being deleted: its Jobs and status go with it (ownerReferences).
    case absent
    /// Not selected and nothing installed: no status object.
    case unselected
    /// `kwasm.sh/kwasm-node` is neither `true` nor `false` and nothing is installed.
    case invalidAnnotation(String)
    /// A Job finished but the Pod cache does not show its report yet.
    case awaitingReport
    /// Selected and due for an install, but the Node is NotReady. `upgrading`: still Ready
    /// with the previous spec, which it keeps serving until its turn.
    case waitingForNode(upgrading: Bool)
    /// Selected and due for an install (new node, new spec, drift, retry): wants a rollout slot.
    case queued(attempt: Int, upgrading: Bool)
    /// An installer Job runs.
    case installing(attempt: Int)
    /// The install succeeded; waiting for the kubelet to publish our runtime handlers.
    case verifying
    /// Ready with the current spec.
    case installed
    /// A drift check Job runs (the node stays Ready).
    case checking
    /// The status says an installer or uninstaller Job runs, but the Job cache shows none.
    case jobMissing(InstallerOperation)
    /// An attempt failed; the next one starts at `retryAt`.
    case backingOff(InstallerOperation, attempt: Int, retryAt: Date)
    /// Out of attempts: stays until the spec changes, the node is re-annotated or `kwasm.sh/retry` changes.
    case failed(InstallerOperation)
    /// The installer said this host cannot be handled; as ``failed(_:)`` for retries.
    case unsupported
    /// Not selected any more with something installed: wants a rollout slot to uninstall.
    case queuedForUninstall(attempt: Int)
    /// An uninstaller Job runs.
    case uninstalling(attempt: Int)

    /// The state's name, without its details: the diagram's vocabulary.
    public enum Kind: String, CaseIterable, Sendable {
        case absent, unselected, invalidAnnotation, awaitingReport, waitingForNode, queued, installing
        case verifying, installed, checking, jobMissing, backingOff, failed, unsupported
        case queuedForUninstall, uninstalling
    }

    public var kind: Kind {
        switch self {
        case .absent: .absent
        case .unselected: .unselected
        case .invalidAnnotation: .invalidAnnotation
        case .awaitingReport: .awaitingReport
        case .waitingForNode: .waitingForNode
        case .queued: .queued
        case .installing: .installing
        case .verifying: .verifying
        case .installed: .installed
        case .checking: .checking
        case .jobMissing: .jobMissing
        case .backingOff: .backingOff
        case .failed: .failed
        case .unsupported: .unsupported
        case .queuedForUninstall: .queuedForUninstall
        case .uninstalling: .uninstalling
        }
    }

    /// The moves between states that the planner makes (the diagram's edges). Any state goes
    /// to ``Kind/absent`` when the Node is deleted; the diagram leaves those edges out.
    public static let transitions: [(from: Kind, to: Kind, why: String)] = [
        (.unselected, .queued, "selected"),
        (.unselected, .waitingForNode, "selected, node NotReady"),
        (.unselected, .invalidAnnotation, "annotation invalid"),
        (.invalidAnnotation, .unselected, "annotation removed or false"),
        (.invalidAnnotation, .queued, "annotation true"),
        (.waitingForNode, .queued, "node Ready"),
        (.queued, .waitingForNode, "node NotReady"),
        (.queued, .installing, "rollout slot granted"),
        (.queued, .unselected, "deselected before its turn"),
        (.waitingForNode, .unselected, "deselected"),
        (.installing, .verifying, "installed"),
        (.installing, .installed, "installed, handlers listed"),
        (.installing, .backingOff, "attempt failed"),
        (.installing, .failed, "last attempt failed"),
        (.installing, .unsupported, "host not supported"),
        (.installing, .jobMissing, "Job gone without a report"),
        (.jobMissing, .backingOff, "grace over: attempt lost"),
        (.jobMissing, .queued, "attempt lost, backoff over"),
        (.verifying, .installed, "kubelet lists the handlers"),
        (.verifying, .backingOff, "handlers missing after the timeout"),
        (.backingOff, .queued, "backoff over"),
        (.backingOff, .waitingForNode, "backoff over, node NotReady"),
        (.failed, .queued, "spec changed or kwasm.sh/retry"),
        (.unsupported, .queued, "spec changed or kwasm.sh/retry"),
        (.installed, .checking, "drift check due"),
        (.checking, .installed, "no drift"),
        (.checking, .queued, "drifted"),
        (.installed, .queued, "spec changed"),
        (.installed, .queuedForUninstall, "deselected"),
        (.failed, .queuedForUninstall, "deselected"),
        (.queuedForUninstall, .uninstalling, "rollout slot granted"),
        (.uninstalling, .unselected, "uninstalled"),
        (.uninstalling, .invalidAnnotation, "uninstalled, annotation invalid"),
        (.uninstalling, .backingOff, "attempt failed"),
        (.uninstalling, .failed, "last attempt failed"),
        (.uninstalling, .jobMissing, "Job gone without a report"),
        (.jobMissing, .queuedForUninstall, "grace over: attempt lost"),
        (.backingOff, .queuedForUninstall, "backoff over"),
        // A finished Job whose report the Pod cache does not show yet pauses on its way.
        (.installing, .awaitingReport, "Job finished, no report yet"),
        (.uninstalling, .awaitingReport, "Job finished, no report yet"),
        (.checking, .awaitingReport, "Job finished, no report yet"),
        (.awaitingReport, .verifying, "installed"),
        (.awaitingReport, .backingOff, "attempt failed"),
        (.awaitingReport, .failed, "last attempt failed"),
        (.awaitingReport, .unsupported, "host not supported"),
        (.awaitingReport, .installed, "no drift"),
        (.awaitingReport, .queued, "drifted"),
        (.awaitingReport, .unselected, "uninstalled"),
        (.awaitingReport, .invalidAnnotation, "uninstalled, annotation invalid"),
    ]
}

extension NodeState {
    /// What the classification reads besides the status: facts the planner has already gathered.
    struct Facts {
        var selection: NodeSelection
        var nodeReady: Bool
        var specHash: String
        /// `kwasm.sh/retry` holds a value not acted on yet.
        var retryRequested: Bool
        var backoff: RetryBackoff
        var nodeName: String
        var now: Date
    }

    /// The state of a node that has no running Job and no report pending, from its status as
    /// it stands after finished Jobs were recorded.
    static func classify(_ status: WasmNodeStatus.Status?, _ facts: Facts) -> NodeState {
        switch facts.selection {
        case .selected:
            return classifySelected(status ?? .init(), facts)
        case .notSelected, .invalidAnnotation:
            return classifyNotSelected(status, facts)
        }
    }

    private static func classifySelected(_ current: WasmNodeStatus.Status, _ facts: Facts) -> NodeState {
        let installJob = InstallerJobName.name(operation: .install, node: facts.nodeName)
        let retryNow = facts.retryRequested && current.lastError != nil
        let installedCondition = current.conditions?[type: ConditionType.installed]?.status ?? Condition.statusUnknown
        let sameSpec = current.specHash == facts.specHash
        if current.phase == .ready, sameSpec { return .installed }
        if current.phase == .installing, current.lastJob == installJob {
            if installedCondition == Condition.statusTrue { return .verifying }
            if installedCondition == Condition.statusUnknown { return .jobMissing(.install) }
        }
        if current.phase == .unsupported || current.phase == .failed, sameSpec, current.lastJob == installJob, !retryNow {
            return current.phase == .unsupported ? .unsupported : .failed(.install)
        }
        // A retry continues the attempt count; a new spec, a drift or kwasm.sh/retry starts afresh.
        let retrying = sameSpec && current.lastJob == installJob && current.lastError != nil && !retryNow
        let attempt = retrying ? (current.attempts ?? 0) + 1 : 1
        if retrying, let retryAt = retryTime(current, facts), retryAt > facts.now {
            return .backingOff(.install, attempt: attempt, retryAt: retryAt)
        }
        let upgrading = current.phase == .ready
        guard facts.nodeReady else { return .waitingForNode(upgrading: upgrading) }
        return .queued(attempt: attempt, upgrading: upgrading)
    }

    private static func classifyNotSelected(_ current: WasmNodeStatus.Status?, _ facts: Facts) -> NodeState {
        guard let current, current.specHash != nil else {
            if case .invalidAnnotation(let value) = facts.selection { return .invalidAnnotation(value) }
            return .unselected
        }
        let uninstallJob = InstallerJobName.name(operation: .uninstall, node: facts.nodeName)
        if current.phase == .uninstalling, current.lastJob == uninstallJob, current.lastError == nil,
           current.conditions?[type: ConditionType.ready]?.reason == NodeReason.uninstalling.rawValue {
            return .jobMissing(.uninstall)
        }
        let retrying = current.lastJob == uninstallJob && current.lastError != nil && !facts.retryRequested
        let attempt = retrying ? (current.attempts ?? 0) + 1 : 1
        if retrying {
            if current.phase == .failed { return .failed(.uninstall) }
            if let retryAt = retryTime(current, facts), retryAt > facts.now {
                return .backingOff(.uninstall, attempt: attempt, retryAt: retryAt)
            }
        }
        return .queuedForUninstall(attempt: attempt)
    }

    /// When the attempt after the last failure may start.
    static func retryTime(_ status: WasmNodeStatus.Status, _ facts: Facts) -> Date? {
        guard let failedAt = status.lastError?.time?.date else { return nil }
        return facts.backoff.retryTime(failedAt: failedAt, failedAttempts: status.attempts ?? 1)
    }
}
