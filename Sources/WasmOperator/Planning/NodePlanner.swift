import Foundation
import KubernetesClient

/// Decides, from the cluster's state alone, what to change for one node. Level-based and
/// pure: the same input always gives the same plan, and a converged node gives an empty plan
/// (no writes). Installer Jobs have deterministic names, so a plan can never duplicate a Job.
///
/// Order of business: a running Job is waited for (never interrupted); finished Jobs have
/// their report recorded in the status and are deleted; then the node's desired state
/// (selected or not, spec hash, drift schedule) decides whether to start a Job.
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
    var labelPresent: Bool
    var annotationsToRecord: [String: String] = [:]
    /// Phase before this plan, for transition-only events.
    let originalPhase: WasmNodeStatus.Phase?

    init(input: NodePlanInput) {
        self.input = input
        self.now = input.now.wholeSeconds
        self.status = input.status.map { $0.status ?? .init() }
        self.statusObjectExists = input.status != nil
        self.labelPresent = input.node?.metadata.labels?[WellKnown.provisionedLabel] != nil
        self.originalPhase = input.status?.status?.phase
    }

    var configuration: OperatorConfiguration { input.configuration }
    var nodeName: String { input.nodeName }
    /// Custom resources start at generation 1; a status we are about to create will have it.
    var generation: Int64? { input.status?.metadata.generation ?? 1 }

    // MARK: - Flow

    mutating func run() {
        guard let node = input.node, node.metadata.deletionTimestamp == nil else { return }
        let selection = input.cleanup
            ? NodeSelection.notSelected
            : NodeSelection(
                labels: node.metadata.labels ?? [:], annotations: node.metadata.annotations ?? [:],
                configuration: configuration)

        if let running = input.jobs.first(where: { !$0.isFinished }) {
            observeRunning(running, node: node)
            return
        }
        // The Job cache can show a Job finished before the Pod cache shows its termination
        // message: wait for the report rather than record a finished Job without one.
        if input.jobs.contains(where: { job in
            job.report == nil && job.reportProblem == nil
                && now.timeIntervalSince((job.finishedAt ?? now).wholeSeconds) < Self.reportGrace
        }) {
            plan.requeue(after: .milliseconds(300))
            return
        }
        let finished = input.jobs.sorted { ($0.finishedAt ?? .distantPast) < ($1.finishedAt ?? .distantPast) }
        for job in finished {
            record(job, selection: selection, node: node)
            plan.deleteJobs.append(job.name)
        }
        decide(selection, node: node)
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
            plan.requeue(after: .milliseconds(500))
        }
        return plan
    }

    // MARK: - Running Jobs

    mutating func observeRunning(_ job: InstallerJobObservation, node: Node) {
        plan.requeue(after: .seconds(configuration.jobActiveDeadlineSeconds + 30))
        switch job.operation {
        case .status:
            return
        case .install:
            ensureStatusObject(node: node)
            status?.specHash = job.specHash
            status?.lastJob = job.name
            status?.attempts = job.attempt
            setPhase(.installing)
            setCondition(ConditionType.installed, Condition.statusUnknown, "Installing",
                         "installer Job \(job.name) is running (attempt \(job.attempt)/\(configuration.maxAttempts))")
            if !isNodeReady(node) {
                setCondition(ConditionType.ready, Condition.statusFalse, "NodeNotReady",
                             "node went NotReady while installer Job \(job.name) runs; the Job times out after \(configuration.jobActiveDeadlineSeconds)s")
            } else {
                setCondition(ConditionType.ready, Condition.statusFalse, "Installing", "waiting for the installer")
            }
        case .uninstall:
            ensureStatusObject(node: node)
            status?.lastJob = job.name
            status?.attempts = job.attempt
            setPhase(.uninstalling)
            setCondition(ConditionType.ready, Condition.statusFalse, "Uninstalling",
                         "uninstaller Job \(job.name) is running (attempt \(job.attempt)/\(configuration.maxAttempts))")
        }
        removeLabel()
    }

    // MARK: - Finished Jobs

    mutating func record(_ job: InstallerJobObservation, selection: NodeSelection, node: Node) {
        let finishedAt = (job.finishedAt ?? now).wholeSeconds
        switch job.operation {
        case .install:
            guard selection == .selected, statusObjectExists, !alreadyRecorded(job) else { return }
            status?.specHash = job.specHash
            status?.lastJob = job.name
            status?.attempts = job.attempt
            guard case .succeeded = job.state, let report = job.report, report.succeeded else {
                let (code, message) = failure(of: job)
                failInstall(code: code, message: message, at: finishedAt,
                            unsupported: job.report?.result == .unsupported)
                return
            }
            recordInstalled(report, job: job, at: finishedAt, node: node)
            verifyHandlers(node: node)
        case .uninstall:
            guard statusObjectExists, selection != .selected else { return }
            if case .succeeded = job.state, job.report?.succeeded ?? true {
                uninstalled(selection: selection, node: node)
                return
            }
            guard status?.lastJob != job.name || status?.attempts != job.attempt || status?.lastError == nil else { return }
            status?.lastJob = job.name
            status?.attempts = job.attempt
            let (code, message) = failure(of: job)
            failUninstall(code: code, message: message, at: finishedAt)
        case .status:
            guard selection == .selected, statusObjectExists, status?.phase == .ready,
                  status?.lastJob != job.name || (status?.lastCheckedTime?.date ?? .distantPast) < finishedAt
            else { return }
            status?.lastJob = job.name
            status?.lastCheckedTime = Time(finishedAt)
            guard let report = job.report, report.succeeded else {
                let (code, message) = failure(of: job)
                // A check that could not run says nothing about the runtimes: keep Ready, report it.
                status?.lastError = .init(code: code, message: "drift check failed: \(message)", time: Time(finishedAt))
                plan.events.append(.warning("DriftCheckFailed", "drift check Job \(job.name) failed: \(code): \(message)", action: "Check"))
                return
            }
            recordHost(node)
            if let version = report.containerdVersion { status?.containerd?.version = version }
            if report.result == .installed, report.drift?.isEmpty ?? true {
                status?.lastError = nil
                removeCondition(ConditionType.drifted)
                return
            }
            let drift = report.drift?.joined(separator: "; ") ?? "runtimes are absent"
            setCondition(ConditionType.drifted, Condition.statusTrue, "Drifted", String(drift.prefix(1000)))
            setCondition(ConditionType.runtimeVerified, Condition.statusFalse, "Drifted", "the node no longer matches what was installed")
            setCondition(ConditionType.ready, Condition.statusFalse, "Drifted", "re-installing after drift")
            // A re-install starts a fresh attempt count.
            status?.attempts = 0
            setPhase(.pending)
            removeLabel()
            plan.events.append(.warning("Drifted", "node \(nodeName) drifted: \(drift)", action: "Check"))
        }
    }

    /// A finished install Job whose result the status already holds (a Job whose deletion
    /// failed, seen again): recording it twice would undo later changes.
    func alreadyRecorded(_ job: InstallerJobObservation) -> Bool {
        guard let status, status.lastJob == job.name, status.attempts == job.attempt else { return false }
        return (status.conditions?[type: ConditionType.installed]?.status ?? Condition.statusUnknown) != Condition.statusUnknown
    }

    func failure(of job: InstallerJobObservation) -> (code: String, message: String) {
        if let error = job.report?.error { return (error.code, error.message) }
        if let report = job.report, !report.succeeded {
            return (report.result == .unsupported ? "Unsupported" : "InstallerFailed", "installer reported \(report.result.rawValue)")
        }
        switch job.state {
        case .failed(let reason, let message):
            return (reason == "DeadlineExceeded" ? "DeadlineExceeded" : "JobFailed",
                    job.reportProblem.map { "\(message); \($0)" } ?? message)
        case .succeeded, .running:
            return ("ReportMissing", job.reportProblem ?? "installer Job \(job.name) finished without a report")
        }
    }

    mutating func recordInstalled(_ report: InstallerReport, job: InstallerJobObservation, at time: Date, node: Node) {
        let runtimes = (report.runtimes ?? []).map {
            WasmNodeStatus.InstalledRuntime(
                name: $0.name, handler: $0.handler, runtimeType: $0.runtimeType, version: $0.version,
                sha256: $0.sha256, path: $0.path)
        }
        status?.runtimes = runtimes.isEmpty ? nil : runtimes
        status?.runtimeNames = runtimes.isEmpty ? nil : runtimes.map(\.name).joined(separator: ",")
        status?.containerd = .init(
            version: report.containerdVersion, distro: report.distro, configPath: report.configPath,
            configSchema: report.configSchema)
        let image = configuration.installerImage
        if job.specHash == input.specHash { status?.installerImage = image }
        status?.lastError = nil
        status?.installedTime = Time(time)
        status?.lastCheckedTime = Time(time)
        let names = runtimes.map(\.name).joined(separator: ", ")
        let restarted = report.restarted == true ? "; containerd restarted" : ""
        setCondition(ConditionType.installed, Condition.statusTrue,
                     report.result == .unchanged ? "Unchanged" : "Installed",
                     "installed \(names.isEmpty ? "runtimes" : names) with \(job.name)\(restarted)")
        removeCondition(ConditionType.drifted)
        recordHost(node)
    }

    /// After a successful install: Ready once the kubelet (where it publishes runtime
    /// handlers) lists ours; until then Installing, and a failed attempt after the timeout.
    mutating func verifyHandlers(node: Node) {
        let ours = (status?.runtimes?.compactMap(\.handler)).flatMap { $0.isEmpty ? nil : $0 }
            ?? configuration.runtimes.map(\.handler)
        var verifiedMessage = "containerd loaded handlers \(ours.joined(separator: ", "))"
        if let published = node.status?.runtimeHandlers {
            let names = Set(published.compactMap(\.name))
            let missing = ours.filter { !names.contains($0) }
            if !missing.isEmpty {
                let since = status?.installedTime?.date ?? now
                if now.timeIntervalSince(since) >= configuration.runtimeHandlersTimeout.seconds {
                    failInstall(code: "RuntimeHandlersMissing",
                                message: "the kubelet does not list handlers \(missing.joined(separator: ", ")) in node.status.runtimeHandlers",
                                at: now, unsupported: false)
                    return
                }
                setPhase(.installing)
                setCondition(ConditionType.runtimeVerified, Condition.statusFalse, "WaitingForKubelet",
                             "waiting for the kubelet to list handlers \(missing.joined(separator: ", "))")
                setCondition(ConditionType.ready, Condition.statusFalse, "WaitingForKubelet", "runtime handlers not yet visible to the kubelet")
                removeLabel()
                plan.requeue(after: .seconds(5))
                return
            }
            verifiedMessage += "; the kubelet lists them"
        }
        setCondition(ConditionType.runtimeVerified, Condition.statusTrue, "Verified", verifiedMessage)
        setCondition(ConditionType.ready, Condition.statusTrue, "Verified", "wasm runtimes are ready")
        setPhase(.ready)
        setLabel()
        scheduleDriftCheck()
    }

    mutating func failInstall(code: String, message: String, at time: Date, unsupported: Bool) {
        let attempts = status?.attempts ?? 1
        status?.lastError = .init(code: code, message: String(message.prefix(1000)), time: Time(time))
        setCondition(ConditionType.installed, Condition.statusFalse, code, String(message.prefix(1000)))
        setCondition(ConditionType.runtimeVerified, Condition.statusFalse, code, "not verified: the install failed")
        removeLabel()
        if unsupported {
            setCondition(ConditionType.ready, Condition.statusFalse, code, "this node is not supported: \(message)")
            setPhase(.unsupported)
            plan.events.append(.warning("Unsupported", "\(code): \(message)", action: "Install"))
        } else if attempts >= configuration.maxAttempts {
            setCondition(ConditionType.ready, Condition.statusFalse, code,
                         "giving up after \(attempts) attempts; change the spec or re-annotate the node to retry")
            setPhase(.failed)
            plan.events.append(.warning("InstallFailed", "attempt \(attempts)/\(configuration.maxAttempts) failed, giving up: \(code): \(message)", action: "Install"))
        } else {
            let retryAt = time.addingTimeInterval(backoff(after: attempts).seconds)
            setCondition(ConditionType.ready, Condition.statusFalse, code,
                         "attempt \(attempts)/\(configuration.maxAttempts) failed; retrying after \(Time(retryAt).description)")
            setPhase(.pending)
            plan.requeue(after: .milliseconds(Int64(max(0, retryAt.timeIntervalSince(now)) * 1000)))
            plan.events.append(.warning("InstallFailed", "attempt \(attempts)/\(configuration.maxAttempts) failed: \(code): \(message)", action: "Install"))
        }
    }

    mutating func failUninstall(code: String, message: String, at time: Date) {
        let attempts = status?.attempts ?? 1
        status?.lastError = .init(code: code, message: String(message.prefix(1000)), time: Time(time))
        if attempts >= configuration.maxAttempts {
            setCondition(ConditionType.ready, Condition.statusFalse, code,
                         "uninstall gave up after \(attempts) attempts: \(message)")
            setPhase(.failed)
        } else {
            setCondition(ConditionType.ready, Condition.statusFalse, code,
                         "uninstall attempt \(attempts)/\(configuration.maxAttempts) failed; retrying")
            setPhase(.uninstalling)
        }
        plan.events.append(.warning("UninstallFailed", "uninstall attempt \(attempts)/\(configuration.maxAttempts) failed: \(code): \(message)", action: "Uninstall"))
    }

    mutating func uninstalled(selection: NodeSelection, node: Node) {
        removeLabel()
        if case .invalidAnnotation = selection, !input.cleanup {
            status = .init()
            markInvalidAnnotation(selection)
        } else {
            status = nil
            plan.deleteStatusObject = true
        }
    }

    // MARK: - Decisions without a running Job

    mutating func decide(_ selection: NodeSelection, node: Node) {
        switch selection {
        case .selected:
            decideInstalled(node: node)
        case .notSelected, .invalidAnnotation:
            decideUninstalled(selection, node: node)
        }
    }

    mutating func decideInstalled(node: Node) {
        ensureStatusObject(node: node)
        let current = status ?? .init()
        let installJob = InstallerJobName.name(operation: .install, node: nodeName)
        let retryNow = retryRequested(node: node) && current.lastError != nil

        if current.phase == .ready, current.specHash == input.specHash {
            setLabel()
            if needsDriftCheck(node: node, status: current) {
                start(.status, attempt: 1)
            } else {
                scheduleDriftCheck()
            }
            return
        }
        if current.phase == .installing, current.lastJob == installJob,
           current.conditions?[type: ConditionType.installed]?.status == Condition.statusTrue {
            verifyHandlers(node: node)
            return
        }
        if current.phase == .installing, current.lastJob == installJob,
           (current.conditions?[type: ConditionType.installed]?.status ?? Condition.statusUnknown) == Condition.statusUnknown {
            // Status says a Job runs but none exists: give the Job cache a moment, then count the attempt as lost.
            if let since = current.lastTransitionTime?.date, now.timeIntervalSince(since) < Self.lostJobGrace {
                plan.requeue(after: .seconds(Self.lostJobGrace - now.timeIntervalSince(since)))
                return
            }
            failInstall(code: "JobLost", message: "installer Job \(installJob) disappeared before it reported", at: now, unsupported: false)
            return
        }
        if current.phase == .unsupported || current.phase == .failed, current.specHash == input.specHash,
           current.lastJob == installJob, !retryNow {
            removeLabel()  // stays Failed until the spec changes, the node is re-annotated or kwasm.sh/retry changes
            return
        }

        let retrying = current.specHash == input.specHash && current.lastJob == installJob
            && current.lastError != nil && !retryNow
        let attempt = retrying ? (current.attempts ?? 0) + 1 : 1
        if retrying, let failedAt = current.lastError?.time?.date {
            let retryAt = failedAt.addingTimeInterval(backoff(after: current.attempts ?? 1).seconds)
            if retryAt > now {
                plan.requeue(after: .milliseconds(Int64(retryAt.timeIntervalSince(now) * 1000)))
                return
            }
        }
        let upgrading = current.phase == .ready  // still serving the previous spec until its turn
        if !isNodeReady(node) {
            if !upgrading {
                setPhase(.pending)
                setCondition(ConditionType.ready, Condition.statusFalse, "NodeNotReady", "waiting for the node to become Ready")
            }
            plan.requeue(after: .seconds(30))
            return
        }
        guard input.rolloutSlotAvailable else {
            plan.waitingForSlot = true
            // A node not started yet waits with an empty phase: in a large rollout most nodes
            // queue, and a Pending write for each would be one more write per install. A node
            // that has a phase (not Ready yet, a retry) says why it waits.
            if !upgrading, current.phase != nil {
                setPhase(.pending)
                setCondition(ConditionType.ready, Condition.statusFalse, "WaitingForRolloutSlot",
                             "waiting for a rollout slot (at most \(configuration.maxParallel == 0 ? "1 per 10 nodes" : String(configuration.maxParallel)) install at once)")
            }
            plan.requeue(after: configuration.slotPollInterval)
            return
        }
        start(.install, attempt: attempt)
    }

    mutating func decideUninstalled(_ selection: NodeSelection, node: Node) {
        let current = status
        let uninstallJob = InstallerJobName.name(operation: .uninstall, node: nodeName)
        let somethingInstalled = current?.specHash != nil

        guard somethingInstalled else {
            removeLabel()
            if case .invalidAnnotation = selection, !input.cleanup {
                ensureStatusObject(node: node)
                markInvalidAnnotation(selection)
            } else if statusObjectExists {
                status = nil
                plan.deleteStatusObject = true
            }
            return
        }
        removeLabel()
        if current?.phase == .uninstalling, current?.lastJob == uninstallJob, current?.lastError == nil,
           current?.conditions?[type: ConditionType.ready]?.reason == "Uninstalling" {
            if let since = current?.lastTransitionTime?.date, now.timeIntervalSince(since) < Self.lostJobGrace {
                plan.requeue(after: .seconds(Self.lostJobGrace - now.timeIntervalSince(since)))
                return
            }
            failUninstall(code: "JobLost", message: "uninstaller Job \(uninstallJob) disappeared before it reported", at: now)
            return
        }
        let retrying = current?.lastJob == uninstallJob && current?.lastError != nil && !retryRequested(node: node)
        if retrying {
            if current?.phase == .failed { return }
            if let failedAt = current?.lastError?.time?.date {
                let retryAt = failedAt.addingTimeInterval(backoff(after: current?.attempts ?? 1).seconds)
                if retryAt > now {
                    plan.requeue(after: .milliseconds(Int64(retryAt.timeIntervalSince(now) * 1000)))
                    return
                }
            }
        }
        guard input.rolloutSlotAvailable else {
            plan.waitingForSlot = true
            setPhase(.uninstalling)
            setCondition(ConditionType.ready, Condition.statusFalse, "WaitingForRolloutSlot", "waiting for a rollout slot to uninstall")
            plan.requeue(after: configuration.slotPollInterval)
            return
        }
        start(.uninstall, attempt: retrying ? (current?.attempts ?? 0) + 1 : 1)
    }

    /// Whether the Node's `kwasm.sh/retry` holds a value not acted on yet; records it as acted on
    /// (on the WasmNodeStatus), so the same value retries once.
    mutating func retryRequested(node: Node) -> Bool {
        guard let value = node.metadata.annotations?[WellKnown.retryAnnotation] else { return false }
        annotationsToRecord[WellKnown.retryAnnotation] = value
        return input.status?.metadata.annotations?[WellKnown.retryAnnotation] != value
    }

    mutating func markInvalidAnnotation(_ selection: NodeSelection) {
        guard case .invalidAnnotation(let value) = selection else { return }
        let message = "annotation \(WellKnown.nodeAnnotation)=\"\(value)\" is invalid: use \"true\" to install or \"false\" to uninstall"
        if status?.lastError?.code != "InvalidAnnotation" || status?.lastError?.message != message {
            status?.lastError = .init(code: "InvalidAnnotation", message: message, time: Time(now))
        }
        setCondition(ConditionType.installed, Condition.statusFalse, "InvalidAnnotation", message)
        setCondition(ConditionType.ready, Condition.statusFalse, "InvalidAnnotation", message)
        setPhase(.failed)
        // Once per value: a user who replaces one typo by another is told again.
        if originalPhase != .failed || input.status?.status?.lastError?.code != "InvalidAnnotation"
            || input.status?.status?.lastError?.message != message {
            plan.events.append(.warning("InvalidAnnotation", message, action: "Validate"))
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
            setCondition(ConditionType.installed, Condition.statusUnknown, "Installing",
                         "installer Job \(name) is running (attempt \(attempt)/\(configuration.maxAttempts))")
            setCondition(ConditionType.runtimeVerified, Condition.statusUnknown, "Installing", "waiting for the installer")
            setCondition(ConditionType.ready, Condition.statusFalse, "Installing", "waiting for the installer")
        case .uninstall:
            status?.lastJob = name
            status?.attempts = attempt
            setPhase(.uninstalling)
            setCondition(ConditionType.ready, Condition.statusFalse, "Uninstalling",
                         "uninstaller Job \(name) is running (attempt \(attempt)/\(configuration.maxAttempts))")
        }
        removeLabel()
    }

    // MARK: - Drift

    func needsDriftCheck(node: Node, status: WasmNodeStatus.Status) -> Bool {
        let recorded = input.status?.metadata.annotations ?? [:]
        let info = node.status?.nodeInfo
        if DriftSchedule.hostChanged(
            bootID: info?.bootID, recordedBootID: recorded[WellKnown.bootIDAnnotation],
            containerRuntimeVersion: info?.containerRuntimeVersion,
            recordedContainerRuntimeVersion: recorded[WellKnown.containerRuntimeVersionAnnotation])
        {
            return true
        }
        if let published = node.status?.runtimeHandlers {
            let names = Set(published.compactMap(\.name))
            if status.runtimes?.compactMap(\.handler).contains(where: { !names.contains($0) }) == true { return true }
        }
        guard let last = status.lastCheckedTime?.date,
              let next = DriftSchedule.nextCheck(node: nodeName, lastChecked: last, interval: configuration.driftInterval)
        else { return false }
        return next <= now
    }

    mutating func scheduleDriftCheck() {
        guard let last = status?.lastCheckedTime?.date,
              let next = DriftSchedule.nextCheck(node: nodeName, lastChecked: last, interval: configuration.driftInterval)
        else { return }
        plan.requeue(after: .milliseconds(Int64(max(0, next.timeIntervalSince(now)) * 1000) + 1000))
    }

    /// Remember the host identity the node had when we installed or checked it.
    mutating func recordHost(_ node: Node) {
        let info = node.status?.nodeInfo
        if let bootID = info?.bootID, !bootID.isEmpty { annotationsToRecord[WellKnown.bootIDAnnotation] = bootID }
        if let version = info?.containerRuntimeVersion, !version.isEmpty {
            annotationsToRecord[WellKnown.containerRuntimeVersionAnnotation] = version
        }
    }

    // MARK: - Helpers

    /// How long a status may claim a running Job that the Job cache does not show yet.
    static let lostJobGrace: Double = 60
    /// How long a finished Job may lack its Pod's report before it is recorded without one.
    static let reportGrace: Double = 30

    func backoff(after attempts: Int) -> Duration {
        RetryBackoff(base: configuration.retryBaseDelay, cap: configuration.retryMaxDelay)
            .delay(afterFailedAttempts: attempts)
    }

    func isNodeReady(_ node: Node) -> Bool {
        guard let ready = node.status?.conditions?.first(where: { $0.type == "Ready" }) else { return true }
        return ready.status == "True"
    }

    mutating func ensureStatusObject(node: Node) {
        guard !statusObjectExists, plan.createStatusObject == nil else {
            if status == nil { status = .init() }
            return
        }
        var annotations: [String: String] = [:]
        if let bootID = node.status?.nodeInfo?.bootID, !bootID.isEmpty {
            annotations[WellKnown.bootIDAnnotation] = bootID
        }
        if let version = node.status?.nodeInfo?.containerRuntimeVersion, !version.isEmpty {
            annotations[WellKnown.containerRuntimeVersionAnnotation] = version
        }
        plan.createStatusObject = WasmNodeStatus(
            metadata: ObjectMeta(
                name: nodeName,
                labels: [WellKnown.managedByLabel: WellKnown.managedByValue],
                annotations: annotations.isEmpty ? nil : annotations,
                ownerReferences: [node.ownerReference()]),
            spec: .init(nodeName: nodeName))
        plan.deleteStatusObject = false
        status = status ?? .init()
    }

    mutating func setPhase(_ phase: WasmNodeStatus.Phase) {
        guard status != nil else { return }
        if status?.phase != phase {
            status?.phase = phase
            status?.lastTransitionTime = Time(now)
        }
        if let generation { status?.observedGeneration = generation }
    }

    mutating func setCondition(_ type: String, _ value: String, _ reason: String, _ message: String) {
        guard status != nil else { return }
        var conditions = status?.conditions ?? []
        conditions.set(Condition(
            type: type, status: value, observedGeneration: generation, lastTransitionTime: Time(now),
            reason: reason, message: message))
        status?.conditions = conditions.sorted { Self.conditionOrder($0.type) < Self.conditionOrder($1.type) }
    }

    mutating func removeCondition(_ type: String) {
        guard let conditions = status?.conditions, conditions.contains(where: { $0.type == type }) else { return }
        status?.conditions = conditions.filter { $0.type != type }
    }

    static func conditionOrder(_ type: String) -> Int {
        [ConditionType.installed, ConditionType.runtimeVerified, ConditionType.ready, ConditionType.drifted]
            .firstIndex(of: type) ?? 99
    }

    mutating func setLabel() {
        let current = input.node?.metadata.labels?[WellKnown.provisionedLabel]
        plan.label = current == "true" ? nil : .set
        labelPresent = true
    }

    mutating func removeLabel() {
        plan.label = input.node?.metadata.labels?[WellKnown.provisionedLabel] == nil ? nil : .remove
        labelPresent = false
    }
}
