import ContainerdConfig
import Foundation

extension NodeInstaller {
    /// Reports what is installed and whether config, binaries and the running containerd still match. Changes nothing.
    func status(_ report: inout InstallerReport) async throws {
        let host = try inspectHost(&report)
        // An install or uninstall in progress is not drift: wait for it, then read.
        let hostLock = try lock()
        defer { hostLock.release() }
        let version = await containerdVersion(socketPath: host.socketPath, distro: host.distro)
        report.containerdVersion = version
        let state = try loadState(host)
        let entries = state?.runtimes ?? []
        report.runtimes = reportRuntimes(entries)
        let snapshot = try snapshot(host, version: version)
        let backupHostPath = InstallerFiles.backup(ofConfig: host.layout.mainConfigPath)
        if try backup(of: host.layout.mainConfigPath).found == .regular { report.backupPath = backupHostPath }

        let leftovers = (try? ConfigEngine.planUninstall(snapshot).changed) ?? false
        if let plan = try? ConfigEngine.planInstall(snapshot, definitions: entries.map { $0.definition(installDir: options.installDir) }) {
            report.configSchema = plan.schema
            report.configPath = plan.effectiveConfigPath
        }
        guard let state, !entries.isEmpty else {
            // An install interrupted after writing binaries records them before any runtime: not absent.
            let leftBinaries = (state?.binaries.keys.sorted() ?? []).filter { (try? paths.resolveParent($0)).map(HostFile.exists) ?? false }
            if leftovers || !leftBinaries.isEmpty {
                report.result = .drifted
                report.drift = (leftovers ? ["config: kwasm-operator entries present but no install state"] : [])
                    + leftBinaries.map { "binary \($0) left by an interrupted install" }
            } else {
                report.result = .absent
                report.drift = []
            }
            return
        }

        var drift = ConfigEngine.inspect(snapshot, definitions: entries.map { $0.definition(installDir: options.installDir) }).map(\.message)
        for (hostPath, sha) in state.binaries.sorted(by: { $0.key < $1.key }) {
            let target = try paths.resolveParent(hostPath)
            if !HostFile.exists(target) {
                drift.append("binary \(hostPath) is missing")
            } else if (try? FileDigest.sha256(path: target)) != sha {
                drift.append("binary \(hostPath) was modified")
            }
        }
        if state.pendingRestart { drift.append("containerd: last change not yet verified") }
        do {
            let status = try await ContainerdAPI(socketPath: host.socketPath).criStatus(timeout: .seconds(5))
            drift += RuntimeVerifier.problems(status, expected: entries, installDir: options.installDir, present: true)
                .map { "containerd: " + $0 }
        } catch {
            drift.append("containerd: CRI status unavailable (\(error))")
        }
        report.drift = drift
        report.result = drift.isEmpty ? .installed : .drifted
    }
}
