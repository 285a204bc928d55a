import Foundation
import KubernetesClient

/// Decides, from the cluster's state alone, what to change for one node. Level-based and
/// pure: the same input always gives the same plan, and a converged node gives an empty plan
/// (no writes). Installer Jobs have deterministic names, so a plan can never duplicate a Job.
///
/// Order of business: a running Job is waited for (never interrupted); finished Jobs have
/// their report recorded in the status and are deleted; then the node is classified into a
/// ``NodeState`` and one `switch` over it decides the rest. A Job that needs a rollout slot
/// comes with the plan to follow if the ``RolloutGate`` has none, so the planner runs once.
public struct NodePlanner {
    public static func plan(_ input: NodePlanInput) -> NodePlan {
        var planner = NodePlanner(input: input)
        planner.run()
        return planner.finish()
    }

    let input: NodePlanInput
    let now: Date
    var plan = NodePlan()
    /// The status as it will be after this plan; `nil` when the object is absent or deleted.
    var status: WasmNodeStatus.Status?
    var statusObjectExists: Bool
    var annotationsToRecord: [String: String] = [:]
    /// Phase before this plan, for transition-only events.
    let originalPhase: WasmNodeStatus.Phase?
    /// The node's installer Job that has not finished, if any (at most one runs at a time).
    let runningJob: InstallerJobObservation?

    init(input: NodePlanInput) {
        self.input = input
        self.now = input.now.wholeSeconds
        self.status = input.status.map { $0.status ?? .init() }
        self.statusObjectExists = input.status != nil
        self.originalPhase = input.status?.status?.phase
        self.runningJob = input.jobs.first { !$0.isFinished }
    }

    var configuration: OperatorConfiguration { input.configuration }
    var nodeName: String { input.nodeName }
    /// Custom resources start at generation 1; a status we are about to create will have it.
    var generation: Int64? { input.status?.metadata.generation ?? 1 }
    var backoff: RetryBackoff { RetryBackoff(base: configuration.retryBaseDelay, cap: configuration.retryMaxDelay) }

    // MARK: - Flow

    mutating func run() {
        guard let node = input.node, node.metadata.deletionTimestamp == nil else { return }
        let selection = input.cleanup
            ? NodeSelection.notSelected
            : NodeSelection(
                labels: node.metadata.labels ?? [:], annotations: node.metadata.annotations ?? [:],
                configuration: configuration)
        let state = jobState() ?? {
            recordFinishedJobs(selection: selection, node: node)
            return settledState(selection: selection, node: node)
        }()
        decide(state, selection: selection, node: node)
    }

    /// The state while a Job runs or its report is awaited; `nil` when no Job is in the way.
    func jobState() -> NodeState? {
        if let runningJob {
            switch runningJob.operation {
            case .install: return .installing(attempt: runningJob.attempt)
            case .uninstall: return .uninstalling(attempt: runningJob.attempt)
            case .status: return .checking
            }
        }
        // The Job cache can show a Job finished before the Pod cache shows its termination
        // message: wait for the report rather than record a finished Job without one.
        let awaitingReport = input.jobs.contains { job in
            job.report == nil && job.reportProblem == nil
                && now.timeIntervalSince((job.finishedAt ?? now).wholeSeconds) < Self.reportGrace
        }
        return awaitingReport ? .awaitingReport : nil
    }

    mutating func recordFinishedJobs(selection: NodeSelection, node: Node) {
        let finished = input.jobs.sorted { ($0.finishedAt ?? .distantPast) < ($1.finishedAt ?? .distantPast) }
        for job in finished {
            record(job, selection: selection, node: node)
            plan.deleteJobs.append(job.name)
        }
    }

    /// Classifies the node once its finished Jobs are recorded.
    mutating func settledState(selection: NodeSelection, node: Node) -> NodeState {
        let retryValue = node.metadata.annotations?[WellKnown.retryAnnotation]
        let facts = NodeState.Facts(
            selection: selection, nodeReady: isNodeReady(node), specHash: input.specHash,
            retryRequested: retryValue.map { input.status?.metadata.annotations?[WellKnown.retryAnnotation] != $0 } ?? false,
            backoff: backoff, nodeName: nodeName, now: now)
        if let retryValue, retryActedOn(selection: selection) {
            // Recorded on the status, so the same value retries once.
            annotationsToRecord[WellKnown.retryAnnotation] = retryValue
        }
        return NodeState.classify(status, facts)
    }

    /// Whether the decision reads `kwasm.sh/retry`: every install decision, and an uninstall
    /// that failed before.
    func retryActedOn(selection: NodeSelection) -> Bool {
        if selection == .selected { return true }
        let uninstallJob = InstallerJobName.name(operation: .uninstall, node: nodeName)
        return status?.specHash != nil && status?.lastJob == uninstallJob && status?.lastError != nil
    }

    // MARK: - The decision

    mutating func decide(_ state: NodeState, selection: NodeSelection, node: Node) {
        plan.state = state
        // Every state but a running or awaited Job has a status object when selected, and no
        // readiness label when not selected.
        switch (state, selection) {
        case (.installing, _), (.uninstalling, _), (.checking, _), (.awaitingReport, _), (.absent, _): break
        case (_, .selected): ensureStatusObject(node: node)
        case (_, .notSelected), (_, .invalidAnnotation): removeLabel()
        }
        switch state {
        case .absent:
            return
        case .awaitingReport:
            plan.requeue(after: .milliseconds(300))
        case .installing, .uninstalling, .checking:
            if let runningJob { observeRunning(runningJob, node: node) }
        case .installed:
            setLabel()
            if needsDriftCheck(node: node) { start(.status, attempt: 1) } else { scheduleDriftCheck() }
        case .verifying:
            verifyHandlers(node: node)
        case .jobMissing(let operation):
            failMissingJobAfterGrace(operation)
        case .failed, .unsupported:
            // Stays until the spec changes, the node is re-annotated or kwasm.sh/retry changes.
            removeLabel()
        case .backingOff(_, _, let retryAt):
            plan.requeue(after: .milliseconds(Int64(retryAt.timeIntervalSince(now) * 1000)))
        case .waitingForNode(let upgrading):
            if !upgrading {
                setPhase(.pending)
                setCondition(ConditionType.ready, Condition.statusFalse, .nodeNotReady, "waiting for the node to become Ready")
            }
            plan.requeue(after: .seconds(30))
        case .queued(let attempt, let upgrading):
            startWithSlot(.install, attempt: attempt, upgrading: upgrading)
        case .queuedForUninstall(let attempt):
            startWithSlot(.uninstall, attempt: attempt, upgrading: false)
        case .unselected:
            if statusObjectExists {
                status = nil
                plan.deleteStatusObject = true
            }
        case .invalidAnnotation:
            ensureStatusObject(node: node)
            markInvalidAnnotation(selection)
        }
    }

    /// The status says a Job runs but none exists: give the Job cache a moment, then count the attempt as lost.
    mutating func failMissingJobAfterGrace(_ operation: InstallerOperation) {
        if let since = status?.lastTransitionTime?.date, now.timeIntervalSince(since) < Self.lostJobGrace {
            plan.requeue(after: .seconds(Self.lostJobGrace - now.timeIntervalSince(since)))
            return
        }
        let job = InstallerJobName.name(operation: operation, node: nodeName)
        if operation == .uninstall {
            failUninstall(code: NodeReason.jobLost.rawValue, message: "uninstaller Job \(job) disappeared before it reported", at: now)
        } else {
            failInstall(code: NodeReason.jobLost.rawValue, message: "installer Job \(job) disappeared before it reported", at: now, unsupported: false)
        }
    }

    /// Starts an install or uninstall Job, which needs a rollout slot; the plan carries what to
    /// do instead when the gate has none (wait, and say why).
    mutating func startWithSlot(_ operation: InstallerOperation, attempt: Int, upgrading: Bool) {
        var refused = self
        refused.waitForSlot(operation, upgrading: upgrading)
        start(operation, attempt: attempt)
        plan.ifNoSlot = .plan(refused.finish())
    }

    mutating func waitForSlot(_ operation: InstallerOperation, upgrading: Bool) {
        plan.requeue(after: configuration.slotPollInterval)
        switch operation {
        case .install:
            // A node not started yet waits with an empty phase: in a large rollout most nodes
            // queue, and a Pending write for each would be one more write per install. A node
            // that has a phase (not Ready yet, a retry) says why it waits; an upgrading node
            // keeps serving the previous spec.
            guard !upgrading, status?.phase != nil else { return }
            let cap = configuration.maxParallel == 0 ? "1 per 10 nodes" : String(configuration.maxParallel)
            setPhase(.pending)
            setCondition(ConditionType.ready, Condition.statusFalse, .waitingForRolloutSlot,
                         "waiting for a rollout slot (at most \(cap) install at once)")
        case .uninstall:
            setPhase(.uninstalling)
            setCondition(ConditionType.ready, Condition.statusFalse, .waitingForRolloutSlot, "waiting for a rollout slot to uninstall")
        case .status:
            return
        }
    }

    mutating func start(_ operation: InstallerOperation, attempt: Int) {
        plan.startJob = .init(operation: operation, attempt: attempt)
        plan.requeue(after: .seconds(configuration.jobActiveDeadlineSeconds + 30))
        let name = InstallerJobName.name(operation: operation, node: nodeName)
        switch operation {
        case .status:
            return
        case .install:
            let (hash, image) = (input.specHash, configuration.installerImage)
            status?.specHash = hash
            status?.installerImage = image
            status?.lastJob = name
            status?.attempts = attempt
            setPhase(.installing)
            setCondition(ConditionType.installed, Condition.statusUnknown, .installing,
                         "installer Job \(name) is running (attempt \(attempt)/\(configuration.maxAttempts))")
            setCondition(ConditionType.runtimeVerified, Condition.statusUnknown, .installing, "waiting for the installer")
            setCondition(ConditionType.ready, Condition.statusFalse, .installing, "waiting for the installer")
        case .uninstall:
            status?.lastJob = name
            status?.attempts = attempt
            setPhase(.uninstalling)
            setCondition(ConditionType.ready, Condition.statusFalse, .uninstalling,
                         "uninstaller Job \(name) is running (attempt \(attempt)/\(configuration.maxAttempts))")
        }
        removeLabel()
    }

    mutating func finish() -> NodePlan {
        if !plan.deleteStatusObject, let status {
            if plan.createStatusObject != nil {
                if status != .init() { plan.status = status }
            } else if statusObjectExists, status != (input.status?.status ?? .init()) {
                plan.status = status
            }
        }
        if !plan.deleteStatusObject, statusObjectExists || plan.createStatusObject != nil {
            let recorded = input.status?.metadata.annotations ?? plan.createStatusObject?.metadata.annotations ?? [:]
            let changed = annotationsToRecord.filter { recorded[$0.key] != $0.value }
            if !changed.isEmpty { plan.statusAnnotations = changed }
        }
        var events: [NodePlan.PlannedEvent] = []
        for event in plan.events where !events.contains(event) { events.append(event) }
        plan.events = events
        if let start = plan.startJob,
           plan.deleteJobs.contains(InstallerJobName.name(operation: start.operation, node: nodeName)) {
            // The previous Job of that name is still being deleted; start after it is gone.
            plan.startJob = nil
            plan.ifNoSlot = nil
            plan.requeue(after: .milliseconds(500))
        }
        return plan
    }

    // MARK: - Constants

    /// How long a status may claim a running Job that the Job cache does not show yet.
    static let lostJobGrace: Double = 60
    /// How long a finished Job may lack its Pod's report before it is recorded without one.
    static let reportGrace: Double = 30
}
