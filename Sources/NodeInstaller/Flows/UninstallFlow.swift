import ContainerdConfig
import Foundation

extension NodeInstaller {
    /// Reverses install in the safe order: config first, restart, verify (rolled back on failure), then our
    /// binaries and the backup.
    func uninstall(_ report: inout InstallerReport, _ timings: inout InstallerReport.Timings) async throws {
        let host = try inspectHost(&report)
        let version = await containerdVersion(socketPath: host.socketPath, distro: host.distro)
        report.containerdVersion = version
        let restarter = restarter(host)
        try restarter.validate()

        let hostLock = options.dryRun ? nil : try lock()
        defer { hostLock?.release() }

        let state = try loadState(host)
        report.runtimes = reportRuntimes(state?.runtimes ?? [])
        let reading = try readForUninstall(host, state: state, version: version)
        report.configSchema = reading.config.schema
        report.configPath = reading.config.effectiveConfigPath
        let plan = HostPlan.uninstall(reading)

        if plan.changesHost || !plan.binariesToRemove.isEmpty {
            try probe.checkWritable(hostDirectories: [options.installDir] + plan.configFiles.map { ($0.path as NSString).deletingLastPathComponent },
                                    dryRun: options.dryRun)
        }
        if options.dryRun {
            FileHandle.standardError.write(Data(plan.preview.utf8))
            report.result = .uninstalled
            return
        }

        var executor = HostPlanExecutor(self, host: host, restarter: restarter, plan: plan, reading: reading)
        try await executor.apply(report: &report, timings: &timings)

        let kept = try removeInstalled(plan: plan, reading: reading, host: host)
        report.restarted = executor.restarted
        report.result = .uninstalled
        if !kept.isEmpty {
            report.drift = kept.map { "binary \($0) was changed by someone else; left in place" }
        }
    }

    /// Only now that containerd runs without them: our binaries (never files someone else put there), links,
    /// directories, backups and state. Returns the binaries and links someone changed (left in place).
    private func removeInstalled(plan: HostPlan, reading: HostReading, host: Host) throws -> [String] {
        var kept: [String] = []
        for (hostPath, sha) in plan.binariesToRemove {
            let target = try paths.resolveParent(hostPath)
            unlink(InstallerFiles.previousBinary(of: target))
            guard HostFile.exists(target) else { continue }
            if (try? FileDigest.sha256(path: target)) == sha { try AtomicFile.remove(target) } else { kept.append(hostPath) }
        }
        kept += removeShimLinks(reading.state?.shimLinks ?? [])
        for directory in (reading.state?.createdConfigDirectories ?? []).reversed() { rmdir(paths.path(directory)) }
        for hostPath in host.layout.pathsToRead {
            try backup(of: hostPath).remove()
        }
        try AtomicFile.remove(reading.statePath)
        let installDir = try paths.resolve(options.installDir)
        rmdir(installDir + "/bin")
        rmdir(installDir)
        removeCreatedAncestors(reading.state?.createdDirectories ?? [])
        return kept
    }
}
