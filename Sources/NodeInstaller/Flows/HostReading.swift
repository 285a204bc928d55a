import ContainerdConfig
import Foundation

/// What install or uninstall finds on the host, read under the lock: the whole input of ``HostPlan``. Reading
/// is the only part of planning that looks at the host; path confinement (``HostPaths``) is enforced here.
struct HostReading {
    /// The runtimes the run is about: the selected catalog entries (install) or those installed (uninstall).
    var entries: [RuntimeCatalog.Entry]
    var installDir: String
    var assets: String
    /// Resolved path of state.json.
    var statePath: String
    /// state.json as far as it can be trusted (nil: none).
    var state: InstallState?
    var snapshot: HostConfigSnapshot
    /// The config engine's plan for ``snapshot``.
    var config: ConfigPlan
    /// The containerd running now (nil: not visible).
    var containerdNow: ContainerdIdentity?
    /// Install: host path of each binary ``entries`` need → sha256 of the file there now (absent: missing or unreadable).
    var binariesOnHost: [String: String] = [:]
    /// Install: the shim links a containerd that ignores `runtime_path` needs (empty: it finds our shims itself).
    var shimLinks: [ShimLink] = []
    /// Install: the links of ``shimLinks`` already pointing at our binary.
    var shimLinksInPlace: Set<String> = []
    /// Install: ancestors of the install dir that do not exist yet.
    var missingInstallDirAncestors: [String] = []
    /// Install: directories of planned config files that do not exist yet.
    var missingConfigDirectories: Set<String> = []
}

extension NodeInstaller {
    /// Install's reading, after the config plan was made from `snapshot`.
    func readForInstall(_ host: Host, entries: [RuntimeCatalog.Entry], snapshot: HostConfigSnapshot,
                        config: ConfigPlan) async throws -> HostReading {
        var binariesOnHost: [String: String] = [:]
        for file in entries.flatMap(\.files) {
            let hostPath = binaryHostPath(file)
            let target = try paths.resolveParent(hostPath)
            if binariesOnHost[hostPath] == nil, let sha = try? FileDigest.sha256(path: target) { binariesOnHost[hostPath] = sha }
        }
        let statePath = try statePath()
        let state = try loadState(host)
        // A containerd that ignores runtime_path finds shims only by name: refuse now if we cannot make them findable.
        let containerdProcess = await runningContainerd(socketPath: host.socketPath)
        let shimLinks = try containerdProcess.map { try shimLinkPlanner($0).plan(shims(entries)) } ?? []
        let shimLinksInPlace = shimLinks.filter(isInPlace).map(\.link)
        let missingConfigDirectories = config.files.map { ($0.path as NSString).deletingLastPathComponent }
            .filter { !FileManager.default.fileExists(atPath: paths.path($0)) }
        return HostReading(entries: entries, installDir: options.installDir, assets: options.assets, statePath: statePath,
                           state: state, snapshot: snapshot, config: config,
                           containerdNow: ContainerdIdentity.current(socketPath: host.socketPath),
                           binariesOnHost: binariesOnHost, shimLinks: shimLinks, shimLinksInPlace: Set(shimLinksInPlace),
                           missingInstallDirAncestors: missingAncestors(of: options.installDir),
                           missingConfigDirectories: Set(missingConfigDirectories))
    }

    /// Uninstall's reading: the config plan undoes our edits, trusting the backups only for files state.json
    /// says existed before us.
    func readForUninstall(_ host: Host, state: InstallState?, version: String?) throws -> HostReading {
        let statePath = try statePath()
        let snapshot = try snapshot(host, version: version)
        let config = try uninstallPlan(snapshot, host: host, state: state)
        return HostReading(entries: state?.runtimes ?? [], installDir: options.installDir, assets: options.assets,
                           statePath: statePath, state: state, snapshot: snapshot, config: config,
                           containerdNow: ContainerdIdentity.current(socketPath: host.socketPath))
    }

    /// The config engine's uninstall plan. Backups are read only for a file whose managed block is damaged (the
    /// planner needs the original bytes only then), so a large config is not held once more; a file with a
    /// backup existed before.
    private func uninstallPlan(_ snapshot: HostConfigSnapshot, host: Host, state: InstallState?) throws -> ConfigPlan {
        var existedBefore = Set((state?.backups ?? []).compactMap(InstallerFiles.config(ofBackup:)))
        for hostPath in host.layout.pathsToRead where try backup(of: hostPath).found == .regular {
            existedBefore.insert(hostPath)
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
