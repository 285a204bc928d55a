import Foundation

/// state.json lives on the host, where anyone with root can edit it: before it decides what gets deleted,
/// keep only entries naming files this installer could have put there.
extension InstallState {
    /// The state with every entry outside `<installDir>/bin/` (binaries) or not `<config>.kwasm-backup` of a
    /// file the layout names (backups) dropped, and the install dir's spelling normalized.
    func trusted(installDir: String, configPaths: [String]) -> InstallState {
        var state = self
        state.installDir = installDir
        state.binaries = binaries.filter { path, sha in
            Self.isBinaryPath(path, installDir: installDir) && sha.count == 64 && sha.allSatisfy(\.isHexDigit)
        }
        let allowedBackups = Set(configPaths.map(InstallerFiles.backup(ofConfig:)))
        state.backups = backups.filter { allowedBackups.contains($0) }
        state.configFiles = configFiles.filter { configPaths.contains($0.key) }
        state.createdDirectories = createdDirectories?.filter { installDir.hasPrefix($0 + "/") && $0 != "/" && !$0.isEmpty }
        // A link is ours only if it points at one of our binaries and is named like a shim.
        state.shimLinks = shimLinks?.filter { link in
            Self.isBinaryPath(link.target, installDir: installDir)
                && (link.link as NSString).lastPathComponent.hasPrefix("containerd-shim-")
        }
        state.createdConfigDirectories = createdConfigDirectories?.filter { directory in
            directory != "/" && !directory.isEmpty && configPaths.contains { $0.hasPrefix(directory + "/") }
        }
        return state
    }

    /// `<installDir>/bin/<name>` with a plain file name (no `/`, not `.`/`..`, not hidden).
    static func isBinaryPath(_ path: String, installDir: String) -> Bool {
        let prefix = installDir + "/bin/"
        guard path.hasPrefix(prefix) else { return false }
        let name = path.dropFirst(prefix.count)
        return !name.isEmpty && !name.contains("/") && !name.hasPrefix(".")
    }

    /// The state with every path spelled once (`/opt/kwasm//bin/x` and `/opt/kwasm/bin/x` are one file), so
    /// a run with another spelling of the same install dir recognises its own files.
    func normalizedPaths() -> InstallState {
        func normal(_ path: String) -> String { "/" + path.split(separator: "/").joined(separator: "/") }
        var state = self
        state.binaries = Dictionary(binaries.map { (normal($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
        state.backups = backups.map(normal)
        state.configFiles = Dictionary(configFiles.map { (normal($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
        state.installDir = normal(installDir)
        return state
    }
}
