import Foundation
import KubernetesClient

/// How the planner reads installer Jobs: a running Job shows in the status, a finished one has
/// its report recorded (once: a Job whose deletion failed is seen again).
extension NodePlanner {
    // MARK: - Running Jobs

    mutating func observeRunning(_ job: InstallerJobObservation, node: Node) {
        plan.requeue(after: .seconds(configuration.jobActiveDeadlineSeconds + 30))
        let attempts = "attempt \(job.attempt)/\(configuration.maxAttempts)"
        switch job.operation {
        case .status:
            return
        case .install:
            ensureStatusObject(node: node)
            status?.specHash = job.specHash
            status?.lastJob = job.name
            status?.attempts = job.attempt
            setPhase(.installing)
            setCondition(ConditionType.installed, Condition.statusUnknown, .installing, "installer Job \(job.name) is running (\(attempts))")
            if !isNodeReady(node) {
                setCondition(ConditionType.ready, Condition.statusFalse, .nodeNotReady,
                             "node went NotReady while installer Job \(job.name) runs; the Job times out after \(configuration.jobActiveDeadlineSeconds)s")
            } else {
                setCondition(ConditionType.ready, Condition.statusFalse, .installing, "waiting for the installer")
            }
        case .uninstall:
            ensureStatusObject(node: node)
            status?.lastJob = job.name
            status?.attempts = job.attempt
            setPhase(.uninstalling)
            setCondition(ConditionType.ready, Condition.statusFalse, .uninstalling, "uninstaller Job \(job.name) is running (\(attempts))")
        }
        removeLabel()
    }

    // MARK: - Finished Jobs

    mutating func record(_ job: InstallerJobObservation, selection: NodeSelection, node: Node) {
        switch job.operation {
        case .install: recordInstall(job, selection: selection, node: node)
        case .uninstall: recordUninstall(job, selection: selection, node: node)
        case .status: recordCheck(job, selection: selection, node: node)
        }
    }

    mutating func recordInstall(_ job: InstallerJobObservation, selection: NodeSelection, node: Node) {
        guard selection == .selected, statusObjectExists, !alreadyRecorded(job) else { return }
        status?.specHash = job.specHash
        status?.lastJob = job.name
        status?.attempts = job.attempt
        guard case .succeeded = job.state, let report = job.report, report.succeeded else {
            let (code, message) = failure(of: job)
            failInstall(code: code.rawValue, message: message, at: finishedAt(job), unsupported: job.report?.result == .unsupported)
            return
        }
        recordInstalled(report, job: job, at: finishedAt(job), node: node)
        verifyHandlers(node: node)
    }

    mutating func recordUninstall(_ job: InstallerJobObservation, selection: NodeSelection, node: Node) {
        guard statusObjectExists, selection != .selected else { return }
        if case .succeeded = job.state, job.report?.succeeded ?? true {
            uninstalled(selection: selection)
            return
        }
        guard status?.lastJob != job.name || status?.attempts != job.attempt || status?.lastError == nil else { return }
        status?.lastJob = job.name
        status?.attempts = job.attempt
        let (code, message) = failure(of: job)
        failUninstall(code: code.rawValue, message: message, at: finishedAt(job))
    }

    mutating func recordCheck(_ job: InstallerJobObservation, selection: NodeSelection, node: Node) {
        let finishedAt = finishedAt(job)
        guard selection == .selected, statusObjectExists, status?.phase == .ready,
              status?.lastJob != job.name || (status?.lastCheckedTime?.date ?? .distantPast) < finishedAt
        else { return }
        status?.lastJob = job.name
        status?.lastCheckedTime = Time(finishedAt)
        guard let report = job.report, report.succeeded else {
            let (code, message) = failure(of: job)
            // A check that could not run says nothing about the runtimes: keep Ready, report it.
            status?.lastError = .init(code: code.rawValue, message: "drift check failed: \(message)", time: Time(finishedAt))
            plan.events.append(.warning(.driftCheckFailed, "drift check Job \(job.name) failed: \(code): \(message)", action: "Check"))
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
        setCondition(ConditionType.drifted, Condition.statusTrue, .drifted, String(drift.prefix(1000)))
        setCondition(ConditionType.runtimeVerified, Condition.statusFalse, .drifted, "the node no longer matches what was installed")
        setCondition(ConditionType.ready, Condition.statusFalse, .drifted, "re-installing after drift")
        // A re-install starts a fresh attempt count.
        status?.attempts = 0
        setPhase(.pending)
        removeLabel()
        plan.events.append(.warning(.drifted, "node \(nodeName) drifted: \(drift)", action: "Check"))
    }

    func finishedAt(_ job: InstallerJobObservation) -> Date { (job.finishedAt ?? now).wholeSeconds }

    /// A finished install Job whose result the status already holds (a Job whose deletion
    /// failed, seen again): recording it twice would undo later changes.
    func alreadyRecorded(_ job: InstallerJobObservation) -> Bool {
        guard let status, status.lastJob == job.name, status.attempts == job.attempt else { return false }
        return (status.conditions?[type: ConditionType.installed]?.status ?? Condition.statusUnknown) != Condition.statusUnknown
    }

    func failure(of job: InstallerJobObservation) -> (code: NodeReason, message: String) {
        if let error = job.report?.error { return (NodeReason(rawValue: error.code), error.message) }
        if let report = job.report, !report.succeeded {
            return (report.result == .unsupported ? .unsupported : .installerFailed, "installer reported \(report.result.rawValue)")
        }
        switch job.state {
        case .failed(let reason, let message):
            return (reason == NodeReason.deadlineExceeded.rawValue ? .deadlineExceeded : .jobFailed,
                    job.reportProblem.map { "\(message); \($0)" } ?? message)
        case .succeeded, .running:
            return (.reportMissing, job.reportProblem ?? "installer Job \(job.name) finished without a report")
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
        setCondition(ConditionType.installed, Condition.statusTrue, report.result == .unchanged ? .unchanged : .installed,
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
            let missing = ours.filter { !names.contains($0) }.joined(separator: ", ")
            if !missing.isEmpty {
                let since = status?.installedTime?.date ?? now
                if now.timeIntervalSince(since) >= configuration.runtimeHandlersTimeout.seconds {
                    failInstall(code: NodeReason.runtimeHandlersMissing.rawValue,
                                message: "the kubelet does not list handlers \(missing) in node.status.runtimeHandlers",
                                at: now, unsupported: false)
                    return
                }
                setPhase(.installing)
                setCondition(ConditionType.runtimeVerified, Condition.statusFalse, .waitingForKubelet,
                             "waiting for the kubelet to list handlers \(missing)")
                setCondition(ConditionType.ready, Condition.statusFalse, .waitingForKubelet, "runtime handlers not yet visible to the kubelet")
                removeLabel()
                plan.requeue(after: .seconds(5))
                return
            }
            verifiedMessage += "; the kubelet lists them"
        }
        setCondition(ConditionType.runtimeVerified, Condition.statusTrue, .verified, verifiedMessage)
        setCondition(ConditionType.ready, Condition.statusTrue, .verified, "wasm runtimes are ready")
        setPhase(.ready)
        setLabel()
        scheduleDriftCheck()
    }

    /// A failed install attempt: unsupported hosts and the last attempt stop; others back off.
    mutating func failInstall(code: String, message: String, at time: Date, unsupported: Bool) {
        let attempts = status?.attempts ?? 1
        let reason = NodeReason(rawValue: code)
        let of = "\(attempts)/\(configuration.maxAttempts)"
        status?.lastError = .init(code: code, message: String(message.prefix(1000)), time: Time(time))
        setCondition(ConditionType.installed, Condition.statusFalse, reason, String(message.prefix(1000)))
        setCondition(ConditionType.runtimeVerified, Condition.statusFalse, reason, "not verified: the install failed")
        removeLabel()
        if unsupported {
            setCondition(ConditionType.ready, Condition.statusFalse, reason, "this node is not supported: \(message)")
            setPhase(.unsupported)
            plan.events.append(.warning(.unsupported, "\(code): \(message)", action: "Install"))
        } else if attempts >= configuration.maxAttempts {
            setCondition(ConditionType.ready, Condition.statusFalse, reason,
                         "giving up after \(attempts) attempts; change the spec or re-annotate the node to retry")
            setPhase(.failed)
            plan.events.append(.warning(.installFailed, "attempt \(of) failed, giving up: \(code): \(message)", action: "Install"))
        } else {
            let retryAt = backoff.retryTime(failedAt: time, failedAttempts: attempts)
            setCondition(ConditionType.ready, Condition.statusFalse, reason,
                         "attempt \(of) failed; retrying after \(Time(retryAt).description)")
            setPhase(.pending)
            plan.requeue(after: .milliseconds(Int64(max(0, retryAt.timeIntervalSince(now)) * 1000)))
            plan.events.append(.warning(.installFailed, "attempt \(of) failed: \(code): \(message)", action: "Install"))
        }
    }

    mutating func failUninstall(code: String, message: String, at time: Date) {
        let attempts = status?.attempts ?? 1
        let reason = NodeReason(rawValue: code)
        status?.lastError = .init(code: code, message: String(message.prefix(1000)), time: Time(time))
        if attempts >= configuration.maxAttempts {
            setCondition(ConditionType.ready, Condition.statusFalse, reason, "uninstall gave up after \(attempts) attempts: \(message)")
            setPhase(.failed)
        } else {
            setCondition(ConditionType.ready, Condition.statusFalse, reason,
                         "uninstall attempt \(attempts)/\(configuration.maxAttempts) failed; retrying")
            setPhase(.uninstalling)
        }
        plan.events.append(.warning(.uninstallFailed, "uninstall attempt \(attempts)/\(configuration.maxAttempts) failed: \(code): \(message)", action: "Uninstall"))
    }

    mutating func uninstalled(selection: NodeSelection) {
        removeLabel()
        if case .invalidAnnotation = selection, !input.cleanup {
            status = .init()
            markInvalidAnnotation(selection)
        } else {
            status = nil
            plan.deleteStatusObject = true
        }
    }
}
