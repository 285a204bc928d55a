import ContainerdConfig
import Foundation

extension NodeInstaller {
    /// Reverses install in the safe order: config first, restart, verify, then our binaries and the backup.
    func uninstall(_ report: inout InstallerReport, _ timings: inout InstallerReport.Timings) async throws {
        let host = try inspectHost(&report)
        let version = await containerdVersion(socketPath: host.socketPath, distro: host.distro)
        report.containerdVersion = version
        let restarter = restarter(host)
        try restarter.validate()

        let hostLock = options.dryRun ? nil : try lock()
        defer { hostLock?.release() }

        let statePath = try statePath()
        let state = try loadState(host)
        let entries = state?.runtimes ?? []
        report.runtimes = reportRuntimes(entries)
        let snapshot = try snapshot(host, version: version)
        let plan = try uninstallPlan(snapshot, host: host, state: state)
        report.configSchema = plan.schema
        report.configPath = plan.effectiveConfigPath

        let ourBinaries = (state?.binaries ?? [:]).sorted { $0.key < $1.key }
        if plan.changed || !ourBinaries.isEmpty {
            try probe.checkWritable(hostDirectories: [options.installDir] + plan.files.map { ($0.path as NSString).deletingLastPathComponent },
                                    dryRun: options.dryRun)
        }
        if options.dryRun {
            var text = plan.files.map(\.diff).joined(separator: "\n")
            for (path, _) in ourBinaries { text += "\n- binary \(path)" }
            FileHandle.standardError.write(Data((text.isEmpty ? "no changes\n" : text + "\n").utf8))
            report.result = "uninstalled"
            return
        }

        let restartOwed = state?.pendingRestart == true
            && ContainerdIdentity.current(socketPath: host.socketPath) == state?.containerdAtWrite
        var journal = RollbackJournal()
        var restarted = false
        do {
            for planned in plan.files {
                let target = try paths.resolve(planned.path)
                try journal.rememberFile(target, knownBytes: snapshot.contents(of: planned.path))
                if let bytes = planned.newContents { try AtomicFile.write(bytes, to: target) } else { try AtomicFile.remove(target) }
            }
            if plan.changed || restartOwed, try restarter.restarts() {
                try await Self.timed(&timings.restartMs) { try restarter.restart() }
                restarted = true
            }
            try await Self.timed(&timings.verifyMs) {
                let verifier = RuntimeVerifier(socketPath: host.socketPath, timeout: options.verifyTimeout)
                _ = try await verifier.waitForContainerd()
                if restarted { try await verifier.waitForHandlers(entries, installDir: options.installDir, present: false) }
            }
        } catch let failure as InstallerError {
            report.restarted = restarted
            guard plan.changed else { throw failure }
            let logs = restarter.recentLogLines(logFile: options.containerdLog)
            _ = journal.undo()
            report.rolledBack = true
            var message = failure.message
            if restarted || failure.code == .restartFailed {
                try? restarter.restart()
                let healthy = (try? await RuntimeVerifier(socketPath: host.socketPath, timeout: options.verifyTimeout).waitForContainerd()) != nil
                message += healthy ? "; rolled back, containerd is healthy again" : "; rolled back, but containerd is still unhealthy"
            }
            if !logs.isEmpty { message += "; containerd log: " + logs }
            throw InstallerError(failure.code, message)
        }

        // Only now that containerd runs without them: our binaries (never files someone else put there).
        var kept: [String] = []
        for (hostPath, sha) in ourBinaries {
            let target = try paths.resolveParent(hostPath)
            unlink((target as NSString).deletingLastPathComponent + "/.\((target as NSString).lastPathComponent).kwasm-prev")
            guard HostFile.exists(target) else { continue }
            if (try? FileDigest.sha256(path: target)) == sha { try AtomicFile.remove(target) } else { kept.append(hostPath) }
        }
        kept += removeShimLinks(state?.shimLinks ?? [])
        for directory in (state?.createdConfigDirectories ?? []).reversed() { rmdir(paths.path(directory)) }
        for hostPath in host.layout.pathsToRead {
            try backup(of: hostPath).remove()
        }
        try AtomicFile.remove(statePath)
        let installDir = try paths.resolve(options.installDir)
        rmdir(installDir + "/bin")
        rmdir(installDir)
        removeCreatedAncestors(state?.createdDirectories ?? [])
        report.restarted = restarted
        report.result = "uninstalled"
        if !kept.isEmpty {
            report.drift = kept.map { "binary \($0) was changed by someone else; left in place" }
        }
    }

    /// The uninstall plan. Backups are read only for a file whose managed block is damaged (the planner needs the
    /// original bytes only then), so a large config is not held once more; a file with a backup existed before.
    private func uninstallPlan(_ snapshot: HostConfigSnapshot, host: Host, state: InstallState?) throws -> ConfigPlan {
        var existedBefore = Set((state?.backups ?? []).map { String($0.dropLast(".kwasm-backup".count)) })
        for hostPath in host.layout.pathsToRead {
            if try backup(of: hostPath).found == .regular { existedBefore.insert(hostPath) }
        }
        var backups: [String: [UInt8]] = [:]
        while true {
            let failure: ConfigError
            do {
                return try ConfigEngine.planUninstall(snapshot, backup: backups, existedBefore: existedBefore)
            } catch {
                failure = error
            }
            guard failure.code == .damagedManagedBlock, let path = failure.file, backups[path] == nil,
                  host.layout.pathsToRead.contains(path), let bytes = try backup(of: path).read() else { throw failure }
            backups[path] = bytes
        }
    }
}
