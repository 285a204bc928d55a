import ContainerdConfig
import Foundation

extension NodeInstaller {
    func install(_ report: inout InstallerReport, _ timings: inout InstallerReport.Timings) async throws {
        // 1. Refuse early, touching nothing.
        let host = try inspectHost(&report)
        let catalog = try RuntimeCatalog.load(assets: options.assets)
        let entries = try catalog.select(options.runtimes)
        report.runtimes = reportRuntimes(entries)
        let version = await containerdVersion(socketPath: host.socketPath, distro: host.distro)
        report.containerdVersion = version
        do {  // scoped: the preview's bytes are gone before the real plan is made (large configs)
            let preview = try ConfigEngine.planInstall(try snapshot(host, version: version),
                                                       definitions: entries.map { $0.definition(installDir: options.installDir) })
            report.configSchema = preview.schema
            report.configPath = preview.effectiveConfigPath
            try probe.checkWritable(hostDirectories: [options.installDir] + preview.files.map { ($0.path as NSString).deletingLastPathComponent },
                                    dryRun: options.dryRun)
        }
        let restarter = restarter(host)
        try restarter.validate()

        // 2. Lock, then re-read everything: another installer may have finished while we waited.
        let hostLock = options.dryRun ? nil : try lock()
        defer { hostLock?.release() }

        // 3. Every asset must match its checksum before anything is written.
        for entry in entries {
            for file in entry.files {
                let assetPath = options.assets + "/" + file.path
                let actual = try FileDigest.sha256(path: assetPath)
                guard actual == file.sha256 else {
                    throw InstallerError(.checksumMismatch, "asset \(assetPath) of runtime \(entry.name) has sha256 \(actual), the catalog says \(file.sha256)")
                }
            }
        }

        let snapshot = try snapshot(host, version: version)
        let plan = try ConfigEngine.planInstall(snapshot, definitions: entries.map { $0.definition(installDir: options.installDir) })
        report.configSchema = plan.schema
        report.configPath = plan.effectiveConfigPath

        var binaryWork: [(source: String, hostPath: String, file: RuntimeCatalog.File)] = []
        for entry in entries {
            for file in entry.files {
                let hostPath = binaryHostPath(file)
                if binaryWork.contains(where: { $0.hostPath == hostPath }) { continue }  // one file shared by two runtimes
                let target = try paths.resolveParent(hostPath)
                let current = try? FileDigest.sha256(path: target)
                if current != file.sha256 { binaryWork.append((options.assets + "/" + file.path, hostPath, file)) }
            }
        }
        let statePath = try statePath()
        let previousState = try loadState(host)
        // A containerd that ignores runtime_path finds shims only by name: refuse now if we cannot make them findable.
        let containerdProcess = await runningContainerd(socketPath: host.socketPath)
        let shimLinks = try containerdProcess.map { try shimLinkPlanner($0).plan(shims(entries)) } ?? []
        let identityNow = ContainerdIdentity.current(socketPath: host.socketPath)
        let changed = plan.changed || !binaryWork.isEmpty
        let restartOwed = previousState?.pendingRestart == true
            && (identityNow == nil || identityNow == previousState?.containerdAtWrite)
        let backupHostPath = host.layout.mainConfigPath + ".kwasm-backup"
        if try backup(of: host.layout.mainConfigPath).found == .regular { report.backupPath = backupHostPath }

        if options.dryRun {
            var text = plan.files.map(\.diff).joined(separator: "\n")
            for work in binaryWork { text += "\n+ binary \(work.hostPath) (sha256 \(work.file.sha256))" }
            for link in shimLinks { text += "\n+ shim link \(link.link) -> \(link.target)" }
            if restartOwed { text += "\n+ restart containerd (it has not restarted since our last write)" }
            FileHandle.standardError.write(Data((text.isEmpty ? "no changes\n" : text + "\n").utf8))
            report.result = changed || restartOwed ? "installed" : "unchanged"
            report.restarted = false
            return
        }

        // 4.–5. Write: pending state first (so a crash leaves a note), binaries, backups, config.
        var journal = RollbackJournal()
        var state = previousState ?? InstallState()
        if changed {
            journal.rememberDirectories(of: statePath)
            for work in binaryWork { journal.rememberDirectories(of: try paths.resolveParent(work.hostPath)) }
            for planned in plan.files { journal.rememberDirectories(of: try paths.resolve(planned.path)) }
            try journal.rememberFile(statePath)
            state.pendingRestart = true
            state.containerdAtWrite = identityNow
            state.installDir = options.installDir
            state.createdDirectories = Array(Set((state.createdDirectories ?? []) + missingAncestors(of: options.installDir))).sorted()
            state.writtenAt = InstallState.now()
            for work in binaryWork { state.binaries[work.hostPath] = work.file.sha256 }
            state.shimLinks = ShimLink.merged(state.shimLinks, shimLinks)
            for planned in plan.files {
                let directory = (planned.path as NSString).deletingLastPathComponent
                if !FileManager.default.fileExists(atPath: paths.path(directory)), !(state.createdConfigDirectories ?? []).contains(directory) {
                    state.createdConfigDirectories = (state.createdConfigDirectories ?? []) + [directory]
                }
            }
            try state.save(to: statePath)
        }
        var restarted = false
        do {
            for work in binaryWork {
                let target = try paths.resolveParent(work.hostPath)
                var previous: String?
                if HostFile.exists(target) {
                    previous = (target as NSString).deletingLastPathComponent + "/.\((target as NSString).lastPathComponent).kwasm-prev"
                    unlink(previous!)
                    guard link(target, previous!) == 0 else { throw InstallerError.io("cannot keep previous binary", path: target, errno: errno) }
                }
                journal.binaries.append((target, previous))
                let bytes = try Data(contentsOf: URL(fileURLWithPath: work.source))
                guard FileDigest.sha256(bytes) == work.file.sha256 else {
                    throw InstallerError(.checksumMismatch, "asset \(work.source) changed while installing")
                }
                try AtomicFile.write(bytes, to: target, mode: work.file.installMode, owner: .init(uid: 0, gid: 0))
            }
            try createShimLinks(shimLinks, journal: &journal)
            crashIfRequested(after: "binaries")

            for planned in plan.files {
                let target = try paths.resolve(planned.path)
                if planned.needsBackup {
                    let backup = try backup(of: planned.path)
                    if let original = snapshot.contents(of: planned.path), try backup.create(original: original, configPath: target) {
                        journal.backupsCreated.append(backup.path)
                        state.backups.append(planned.path + ".kwasm-backup")
                    }
                    if planned.path == host.layout.mainConfigPath { report.backupPath = planned.path + ".kwasm-backup" }
                }
                try journal.rememberFile(target, knownBytes: snapshot.contents(of: planned.path))
                if let bytes = planned.newContents {
                    try AtomicFile.write(bytes, to: target)
                    state.configFiles[planned.path] = FileDigest.sha256(bytes)
                } else {
                    try AtomicFile.remove(target)
                    state.configFiles[planned.path] = nil
                }
            }
            if !plan.files.isEmpty { try state.save(to: statePath) }
            crashIfRequested(after: "config")

            // 6. Restart only when something changed or an earlier write was never picked up.
            let verifier = RuntimeVerifier(socketPath: host.socketPath, timeout: options.verifyTimeout)
            let verifyHandlers = try restarter.restarts() || restarter.resolvedStrategy() == .k0s
            if changed || restartOwed, try restarter.restarts() {
                try await Self.timed(&timings.restartMs) { try restarter.restart() }
                restarted = true
            }
            // 7. Verify against the running containerd.
            do {
                try await Self.timed(&timings.verifyMs) {
                    _ = try await verifier.waitForContainerd()
                    if verifyHandlers {
                        try await verifier.waitForHandlers(entries, installDir: options.installDir)
                        report.verification = try await verifyUsable(entries, verifier: verifier, host: host)
                    }
                }
            } catch let error as InstallerError where !changed && !restarted && error.code == .verificationFailed {
                // Nothing to write, but containerd does not run our config (e.g. restarted before our write
                // by someone else's hand edit since reverted): one restart, then verify again.
                try await Self.timed(&timings.restartMs) { try restarter.restart() }
                restarted = true
                try await Self.timed(&timings.verifyMs) {
                    _ = try await verifier.waitForContainerd()
                    try await verifier.waitForHandlers(entries, installDir: options.installDir)
                    report.verification = try await verifyUsable(entries, verifier: verifier, host: host)
                }
            }
        } catch let failure as InstallerError {
            // 8. Put everything back, restart, check containerd is healthy again, report what went wrong.
            report.restarted = restarted
            guard changed else { throw failure }
            let logs = restarter.recentLogLines(logFile: options.containerdLog)
            let problems = journal.undo()
            report.rolledBack = true
            report.backupPath = (try? backup(of: host.layout.mainConfigPath).found) == .regular ? backupHostPath : nil
            var message = failure.message
            if restarted || failure.code == .restartFailed {
                do {
                    try await Self.timed(&timings.restartMs) { try restarter.restart() }
                    try await Self.timed(&timings.verifyMs) {
                        _ = try await RuntimeVerifier(socketPath: host.socketPath, timeout: options.verifyTimeout).waitForContainerd()
                    }
                    message += "; rolled back, containerd is healthy again"
                } catch {
                    message += "; rolled back, but containerd is still unhealthy: \(error)"
                }
            } else {
                message += "; rolled back"
            }
            if !problems.isEmpty { message += "; rollback problems: " + problems.joined(separator: "; ") }
            if !logs.isEmpty { message += "; containerd log: " + logs }
            throw InstallerError(failure.code, message)
        }

        journal.commit()
        state.pendingRestart = false
        state.containerdAtWrite = nil
        state.installDir = options.installDir
        // The config now holds exactly `entries`: binaries of runtimes no longer selected go (only if unchanged since we put them there).
        state.runtimes = entries
        let wanted = Dictionary(entries.flatMap { $0.files.map { (binaryHostPath($0), $0.sha256) } }, uniquingKeysWith: { a, _ in a })
        let stale = StaleBinaries(paths: paths).plan(recorded: state.binaries, wanted: Array(wanted.keys))
        for target in stale.remove { try AtomicFile.remove(target) }
        for hostPath in stale.forget { state.binaries[hostPath] = nil }
        for (hostPath, sha) in wanted { state.binaries[hostPath] = sha }
        let linksBefore = state.shimLinks
        state.shimLinks = reconcileShimLinks(recorded: state.shimLinks, wanted: shimLinks)
        if changed || restartOwed || previousState == nil || state.shimLinks != linksBefore { try state.save(to: statePath) }
        report.restarted = restarted
        // A run that completes an earlier, interrupted one (its restart happened, or happens now) is an install.
        report.result = changed || restarted || previousState?.pendingRestart == true ? "installed" : "unchanged"
    }
}
