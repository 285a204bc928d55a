import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `<config>.kwasm-backup`: the original config, saved once before our first change. It holds what the original
/// holds (registry credentials, often), so it gets the original's mode and owner; and it is a plain file we
/// made, so anything else found at its path (a symlink above all) is never written through, read or deleted.
struct ConfigBackup {
    /// Resolved path of the backup (its last component not followed).
    var path: String

    enum Found: Equatable {
        case absent
        case regular
        /// Something we did not make: a symlink, FIFO, device, directory.
        case foreign(String)
    }

    var found: Found {
        guard let info = HostFile.status(path) else { return .absent }
        if info.st_mode & S_IFMT == S_IFREG { return .regular }
        return .foreign(HostFile.describe(info.st_mode))
    }

    /// Saves `original` (the bytes of the config at `configPath`) unless a backup already exists.
    /// Returns whether it created one. Refuses when something other than a regular file is in the way.
    func create(original: [UInt8], configPath: String) throws -> Bool {
        switch found {
        case .regular: return false
        case .foreign(let what):
            throw InstallerError(.ioError, "\(path) is \(what), not a backup this installer made; refusing to write through it (remove it and retry)")
        case .absent:
            let source = HostFile.status(configPath)
            let mode = source.map { $0.st_mode & 0o777 } ?? 0o600
            let owner = source.map { AtomicFile.Owner(uid: $0.st_uid, gid: $0.st_gid) }
            try AtomicFile.write(original, to: path, mode: mode, owner: owner)
            return true
        }
    }

    /// The saved bytes, nil when there is no backup we made.
    func read() throws -> [UInt8]? {
        guard found == .regular else { return nil }
        return try HostFile.read(path)
    }

    /// Removes the backup, only if it is a regular file (a symlink there is someone else's).
    func remove() throws {
        if found == .regular { try AtomicFile.remove(path) }
    }
}
