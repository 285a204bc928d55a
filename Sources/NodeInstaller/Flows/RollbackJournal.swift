import Foundation

/// Everything a run changed on the host, in order, so a failed run can put back exactly what was there.
struct RollbackJournal {
    /// Resolved path → bytes before this run (nil: the file did not exist).
    var filesBefore: [(path: String, bytes: [UInt8]?)] = []
    /// Installed binaries: resolved path and the hard link keeping the previous version (nil: none existed).
    var binaries: [(path: String, previous: String?)] = []
    /// Mode and owner of each file in ``filesBefore`` that existed: restored with the bytes.
    var attributesBefore: [String: (mode: mode_t, owner: AtomicFile.Owner)] = [:]
    /// Backups this run created.
    var backupsCreated: [String] = []
    /// Directories that did not exist before this run (deepest first after ``rememberDirectories(of:)``).
    var directoriesCreated: [String] = []

    /// Notes every missing ancestor of `path` so undo can remove the ones we create.
    mutating func rememberDirectories(of path: String) {
        var directory = (path as NSString).deletingLastPathComponent
        var missing: [String] = []
        while directory.count > 1, !HostFile.exists(directory) {
            missing.append(directory)
            directory = (directory as NSString).deletingLastPathComponent
        }
        for dir in missing where !directoriesCreated.contains(dir) { directoriesCreated.append(dir) }
        directoriesCreated.sort { $0.count > $1.count }
    }

    /// Notes `path`'s bytes (and mode and owner) before this run changes it. `knownBytes`: the bytes already
    /// read under the lock (the snapshot), so a large config is not held twice.
    mutating func rememberFile(_ path: String, knownBytes: [UInt8]? = nil) throws {
        guard !filesBefore.contains(where: { $0.path == path }) else { return }
        let exists = HostFile.exists(path)
        filesBefore.append((path, exists ? try (knownBytes ?? AtomicFile.read(path)) : nil))
        if let info = HostFile.status(path) { attributesBefore[path] = (info.st_mode & 0o7777, .init(uid: info.st_uid, gid: info.st_gid)) }
    }

    /// Restores every file and binary; returns the problems it could not fix.
    func undo() -> [String] {
        var problems: [String] = []
        for (path, bytes) in filesBefore.reversed() {
            do {
                if let bytes {
                    try AtomicFile.write(bytes, to: path, mode: attributesBefore[path]?.mode, owner: attributesBefore[path]?.owner)
                } else {
                    try AtomicFile.remove(path)
                }
            } catch {
                problems.append("\(error)")
            }
        }
        for (path, previous) in binaries.reversed() {
            do {
                if let previous { try AtomicFile.move(previous, to: path) } else { try AtomicFile.remove(path) }
            } catch {
                problems.append("\(error)")
            }
        }
        for backup in backupsCreated { try? AtomicFile.remove(backup) }
        for directory in directoriesCreated { rmdir(directory) }
        return problems
    }

    /// After success: drop the links that kept previous binaries.
    func commit() {
        for (_, previous) in binaries { if let previous { unlink(previous) } }
    }
}
