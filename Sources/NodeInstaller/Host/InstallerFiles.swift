import Foundation

/// Every name the installer gives a file of its own on the host. Uninstall, status and the state.json trust
/// rules must recognise exactly what install and the atomic writer create, so the names are built here only.
enum InstallerFiles {
    /// `<config>.kwasm-backup`: the user's config as it was before our first change (``ConfigBackup``).
    static let backupSuffix = ".kwasm-backup"
    /// `<install-dir>/state.json` (``InstallState``); no catalog file may carry this name.
    static let stateFileName = "state.json"

    static func backup(ofConfig configPath: String) -> String { configPath + backupSuffix }

    /// The config a backup path belongs to (nil: not a backup name).
    static func config(ofBackup backupPath: String) -> String? {
        backupPath.hasSuffix(backupSuffix) ? String(backupPath.dropLast(backupSuffix.count)) : nil
    }

    static func state(installDir: String) -> String { installDir + "/" + stateFileName }

    /// Where a catalog binary is installed: `<install-dir>/bin/<file name>`.
    static func binary(_ file: RuntimeCatalog.File, installDir: String) -> String {
        installDir + "/bin/" + (file.path as NSString).lastPathComponent
    }

    /// `.<name>.kwasm-prev` next to an installed binary: a hard link keeping the previous version until the
    /// run succeeds (rollback moves it back).
    static func previousBinary(of path: String) -> String {
        (path as NSString).deletingLastPathComponent + "/.\((path as NSString).lastPathComponent).kwasm-prev"
    }

    /// `.<name>.kwasm-tmp-<pid>-<random>` next to `path`: ``AtomicFile`` writes here, then renames over `path`.
    static func temporary(for path: String) -> String {
        (path as NSString).deletingLastPathComponent
            + "/.\((path as NSString).lastPathComponent).kwasm-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// `.kwasm-write-probe-<pid>` in `directory`: created and removed at once to prove the directory writable.
    static func writeProbe(in directory: String) -> String { directory + "/.kwasm-write-probe-\(getpid())" }
}
