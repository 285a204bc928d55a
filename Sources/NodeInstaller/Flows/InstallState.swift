import Foundation

/// What the installer last did on this host, kept in `<install-dir>/state.json`. It lets a retry (after the
/// restart killed our own pod, or a crash) recognise finished work, and lets uninstall remove exactly the
/// files we installed and nothing else.
public struct InstallState: Codable, Sendable, Equatable {
    /// True from before our first write until containerd was verified with it.
    public var pendingRestart: Bool = false
    /// The containerd that was running when we started writing; a different one means it restarted since.
    public var containerdAtWrite: ContainerdIdentity?
    /// When we last wrote host files (RFC 3339).
    public var writtenAt: String?
    /// The runtimes installed (catalog entries as installed).
    public var runtimes: [RuntimeCatalog.Entry] = []
    /// Host path → sha256 of every binary we installed.
    public var binaries: [String: String] = [:]
    /// Host path → sha256 of every config file we wrote (for drift detection).
    public var configFiles: [String: String] = [:]
    /// Backups we made (host paths).
    public var backups: [String] = []
    /// The install dir (host path).
    public var installDir: String = "/opt/kwasm"
    /// Links we made so a containerd that ignores `runtime_path` finds our shims (optional: older state files lack it).
    public var shimLinks: [ShimLink]?
    /// Directories we created for config drop-ins (host paths), removed on uninstall when empty again.
    public var createdConfigDirectories: [String]?
    /// Ancestors of the install dir that did not exist before our first install (e.g. `/opt`), removed again
    /// by uninstall when empty. Optional: state written before this field existed still decodes.
    public var createdDirectories: [String]?

    public init() {}

    public static func hostPath(installDir: String) -> String { InstallerFiles.state(installDir: installDir) }

    public static func load(from path: String) -> InstallState? {
        guard let bytes = try? HostFile.read(path, limit: 4 << 20) else { return nil }
        return try? JSONDecoder().decode(InstallState.self, from: Data(bytes))
    }

    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: path, mode: 0o644)
    }

    static func now() -> String {
        ISO8601DateFormatter().string(from: Date())
    }
}
