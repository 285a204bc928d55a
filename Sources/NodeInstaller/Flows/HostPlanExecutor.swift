import ContainerdConfig
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Applies a ``HostPlan`` for install and uninstall alike: every write is noted in one ``RollbackJournal``, then
/// containerd is restarted and verified. Any failure goes through ``rollBack(_:report:timings:)``, the one
/// rollback both operations share: it puts the host back, brings containerd back, and reports what it could not fix.
struct HostPlanExecutor {
    let installer: NodeInstaller
    let host: NodeInstaller.Host
    let restarter: ContainerdRestarter
    let plan: HostPlan
    let reading: HostReading
    private var journal = RollbackJournal()
    private(set) var restarted = false
    /// The state.json install records as it writes (config files, backups): the pending state, else the
    /// previous one. Uninstall records none (it deletes state.json once containerd runs without our runtimes).
    private(set) var state: InstallState?

    init(_ installer: NodeInstaller, host: NodeInstaller.Host, restarter: ContainerdRestarter, plan: HostPlan, reading: HostReading) {
        self.installer = installer
        self.host = host
        self.restarter = restarter
        self.plan = plan
        self.reading = reading
        if plan.kind == .install { state = plan.pendingState ?? reading.state ?? InstallState() }
    }

    private var paths: HostPaths { installer.paths }
    private var options: InstallerOptions { installer.options }

    /// Notes the directories the run may create, then writes the plan's pending state.json (install, when
    /// something changes) so a crash leaves a note.
    mutating func recordPendingState() throws {
        guard let pending = plan.pendingState else { return }
        journal.rememberDirectories(of: reading.statePath)
        for work in plan.binaries { journal.rememberDirectories(of: try paths.resolveParent(work.hostPath)) }
        for planned in plan.configFiles { journal.rememberDirectories(of: try paths.resolve(planned.path)) }
        try journal.rememberFile(reading.statePath)
        try pending.save(to: reading.statePath)
    }

    /// Writes binaries, shim links and config, restarts and verifies. On failure: rolls back, then throws the
    /// failure with what the rollback did.
    mutating func apply(report: inout InstallerReport, timings: inout InstallerReport.Timings) async throws {
        do {
            try writeBinaries()
            try installer.createShimLinks(plan.missingShimLinks, journal: &journal)
            if plan.kind == .install { installer.crashIfRequested(after: "binaries") }
            try writeConfig(report: &report)
            if plan.kind == .install { installer.crashIfRequested(after: "config") }
            switch plan.kind {
            case .install: try await restartAndVerifyInstalled(report: &report, timings: &timings)
            case .uninstall: try await restartAndVerifyRemoved(timings: &timings)
            }
        } catch let failure as InstallerError {
            throw await rollBack(failure, report: &report, timings: &timings)
        }
    }

    /// After a verified apply: nothing will be rolled back, so the previous binaries' links go.
    func commit() { journal.commit() }

    /// Each binary through a temp file and rename; the one it replaces stays as a hard link until the run succeeds.
    private mutating func writeBinaries() throws {
        for work in plan.binaries {
            let target = try paths.resolveParent(work.hostPath)
            var previous: String?
            if HostFile.exists(target) {
                let kept = InstallerFiles.previousBinary(of: target)
                unlink(kept)
                guard link(target, kept) == 0 else { throw InstallerError.io("cannot keep previous binary", path: target, errno: errno) }
                previous = kept
            }
            journal.binaries.append((target, previous))
            let bytes = try Data(contentsOf: URL(fileURLWithPath: work.source))
            guard FileDigest.sha256(bytes) == work.file.sha256 else {
                throw InstallerError(.checksumMismatch, "asset \(work.source) changed while installing")
            }
            try AtomicFile.write(bytes, to: target, mode: work.file.installMode, owner: .init(uid: 0, gid: 0))
        }
    }

    /// The planned config writes, each file backed up first when the plan says so.
    private mutating func writeConfig(report: inout InstallerReport) throws {
        let snapshot = reading.snapshot
        for planned in plan.configFiles {
            let target = try paths.resolve(planned.path)
            if planned.needsBackup {
                let backup = try installer.backup(of: planned.path)
                if let original = snapshot.contents(of: planned.path), try backup.create(original: original, configPath: target) {
                    journal.backupsCreated.append(backup.path)
                    state?.backups.append(InstallerFiles.backup(ofConfig: planned.path))
                }
                if planned.path == host.layout.mainConfigPath { report.backupPath = InstallerFiles.backup(ofConfig: planned.path) }
            }
            try journal.rememberFile(target, knownBytes: snapshot.contents(of: planned.path))
            if let contents = planned.contents {
                try AtomicFile.write(parts: contents.parts, to: target)
                state?.configFiles[planned.path] = FileDigest.sha256(parts: contents.parts)
            } else {
                try AtomicFile.remove(target)
                state?.configFiles[planned.path] = nil
            }
        }
        if !plan.configFiles.isEmpty, let state { try state.save(to: reading.statePath) }
    }

    /// Restart only when something changed or an earlier write was never picked up; then prove the handlers usable.
    private mutating func restartAndVerifyInstalled(report: inout InstallerReport, timings: inout InstallerReport.Timings) async throws {
        let entries = plan.entries, installDir = options.installDir, installer = installer, host = host
        let verifier = RuntimeVerifier(socketPath: host.socketPath, timeout: options.verifyTimeout)
        let verifyHandlers = try restarter.restarts() || restarter.resolvedStrategy() == .k0s
        try await restartIfOwed(timings: &timings)
        do {
            try await NodeInstaller.timed(&timings.verifyMs) {
                _ = try await verifier.waitForContainerd()
                if verifyHandlers {
                    try await verifier.waitForHandlers(entries, installDir: installDir)
                    report.verification = try await installer.verifyUsable(entries, verifier: verifier, host: host)
                }
            }
        } catch let error as InstallerError where !plan.changesHost && !restarted && error.code == .verificationFailed {
            // Nothing to write, but containerd does not run our config (e.g. restarted before our write
            // by someone else's hand edit since reverted): one restart, then verify again.
            let restarter = restarter
            try await NodeInstaller.timed(&timings.restartMs) { try restarter.restart() }
            restarted = true
            try await NodeInstaller.timed(&timings.verifyMs) {
                _ = try await verifier.waitForContainerd()
                try await verifier.waitForHandlers(entries, installDir: installDir)
                report.verification = try await installer.verifyUsable(entries, verifier: verifier, host: host)
            }
        }
    }

    /// Uninstall: restart when the config changed, then containerd must run without our handlers.
    private mutating func restartAndVerifyRemoved(timings: inout InstallerReport.Timings) async throws {
        try await restartIfOwed(timings: &timings)
        let entries = plan.entries, installDir = options.installDir, restarted = restarted
        let verifier = RuntimeVerifier(socketPath: host.socketPath, timeout: options.verifyTimeout)
        try await NodeInstaller.timed(&timings.verifyMs) {
            _ = try await verifier.waitForContainerd()
            if restarted { try await verifier.waitForHandlers(entries, installDir: installDir, present: false) }
        }
    }

    private mutating func restartIfOwed(timings: inout InstallerReport.Timings) async throws {
        if plan.changesHost || plan.restartOwed, try restarter.restarts() {
            let restarter = restarter
            try await NodeInstaller.timed(&timings.restartMs) { try restarter.restart() }
            restarted = true
        }
    }

    /// The one rollback: every journaled change undone, containerd restarted and checked when it had been
    /// restarted (or failed to), and the failure returned with what happened, the rollback's own problems
    /// and containerd's recent log. A run that changed nothing has nothing to roll back.
    mutating func rollBack(_ failure: InstallerError, report: inout InstallerReport,
                           timings: inout InstallerReport.Timings) async -> InstallerError {
        report.restarted = restarted
        guard plan.changesHost else { return failure }
        let logs = restarter.recentLogLines(logFile: options.containerdLog)
        let problems = journal.undo()
        report.rolledBack = true
        let mainConfig = host.layout.mainConfigPath
        report.backupPath = (try? installer.backup(of: mainConfig).found) == .regular ? InstallerFiles.backup(ofConfig: mainConfig) : nil
        var message = failure.message
        if restarted || failure.code == .restartFailed {
            let restarter = restarter
            let verifier = RuntimeVerifier(socketPath: host.socketPath, timeout: options.verifyTimeout)
            do {
                try await NodeInstaller.timed(&timings.restartMs) { try restarter.restart() }
                try await NodeInstaller.timed(&timings.verifyMs) { _ = try await verifier.waitForContainerd() }
                message += "; rolled back, containerd is healthy again"
            } catch {
                message += "; rolled back, but containerd is still unhealthy: \(error)"
            }
        } else {
            message += "; rolled back"
        }
        if !problems.isEmpty { message += "; rollback problems: " + problems.joined(separator: "; ") }
        if !logs.isEmpty { message += "; containerd log: " + logs }
        return InstallerError(failure.code, message)
    }
}
