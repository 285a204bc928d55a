import ContainerdConfig
import Foundation

extension NodeInstaller {
    /// Refuse early (touching nothing), lock, read the host, plan, apply (rolled back on failure), record.
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
        try checkAssets(entries)

        let snapshot = try snapshot(host, version: version)
        let config = try ConfigEngine.planInstall(snapshot, definitions: entries.map { $0.definition(installDir: options.installDir) })
        report.configSchema = config.schema
        report.configPath = config.effectiveConfigPath
        let reading = try await readForInstall(host, entries: entries, snapshot: snapshot, config: config)
        let plan = HostPlan.install(reading, writtenAt: InstallState.now())
        if try backup(of: host.layout.mainConfigPath).found == .regular {
            report.backupPath = InstallerFiles.backup(ofConfig: host.layout.mainConfigPath)
        }

        if options.dryRun {
            FileHandle.standardError.write(Data(plan.preview.utf8))
            report.result = plan.changesHost || plan.restartOwed ? .installed : .unchanged
            report.restarted = false
            return
        }

        // 4.–7. Write (pending state first, so a crash leaves a note), restart, verify; rolled back on failure.
        var executor = HostPlanExecutor(self, host: host, restarter: restarter, plan: plan, reading: reading)
        try executor.recordPendingState()
        try await executor.apply(report: &report, timings: &timings)
        executor.commit()

        try recordInstalled(executor.state ?? InstallState(), plan: plan, reading: reading)
        report.restarted = executor.restarted
        // A run that completes an earlier, interrupted one (its restart happened, or happens now) is an install.
        report.result = plan.changesHost || executor.restarted || reading.state?.pendingRestart == true ? .installed : .unchanged
    }

    private func checkAssets(_ entries: [RuntimeCatalog.Entry]) throws {
        for entry in entries {
            for file in entry.files {
                let assetPath = options.assets + "/" + file.path
                let actual = try FileDigest.sha256(path: assetPath)
                guard actual == file.sha256 else {
                    throw InstallerError(.checksumMismatch, "asset \(assetPath) of runtime \(entry.name) has sha256 \(actual), the catalog says \(file.sha256)")
                }
            }
        }
    }

    /// After a verified install: state.json says the config holds exactly the plan's runtimes, and binaries of
    /// runtimes no longer selected go (only if unchanged since we put them there).
    private func recordInstalled(_ installed: InstallState, plan: HostPlan, reading: HostReading) throws {
        var state = installed
        state.pendingRestart = false
        state.containerdAtWrite = nil
        state.installDir = options.installDir
        state.runtimes = plan.entries
        let wanted = Dictionary(plan.entries.flatMap { $0.files.map { (binaryHostPath($0), $0.sha256) } }, uniquingKeysWith: { a, _ in a })
        let stale = StaleBinaries(paths: paths).plan(recorded: state.binaries, wanted: Array(wanted.keys))
        for target in stale.remove { try AtomicFile.remove(target) }
        for hostPath in stale.forget { state.binaries[hostPath] = nil }
        for (hostPath, sha) in wanted { state.binaries[hostPath] = sha }
        let linksBefore = state.shimLinks
        state.shimLinks = reconcileShimLinks(recorded: state.shimLinks, wanted: plan.shimLinks)
        if plan.changesHost || plan.restartOwed || reading.state == nil || state.shimLinks != linksBefore {
            try state.save(to: reading.statePath)
        }
    }
}
