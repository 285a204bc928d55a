import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over the
/// target, fsync the directory. A reader (or a running shim, which keeps its old inode) sees either the old
/// or the new file, never a torn one.
public enum AtomicFile {
    /// Writes `bytes` to `path` (creating parent directories), with `mode`, or the existing file's mode when nil.
    public static func write(_ bytes: some DataProtocol, to path: String, mode: mode_t? = nil) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        try makeDirectories(directory)
        var existing = stat()
        let finalMode = mode ?? (lstat(path, &existing) == 0 ? existing.st_mode & 0o7777 : 0o644)
        let temp = directory + "/.\(name).kwasm-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw InstallerError.io("cannot create", path: temp, errno: errno) }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        let data = Array(bytes)
        var written = 0
        while written < data.count {
            let n = data[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                throw InstallerError.io("cannot write", path: temp, errno: e)
            }
            written += n
        }
        if existing.st_uid != 0 || existing.st_gid != 0, lstat(path, &existing) == 0 {
            _ = fchown(fd, existing.st_uid, existing.st_gid)
        }
        guard fchmod(fd, finalMode) == 0, fsync(fd) == 0 else {
            let e = errno
            close(fd)
            throw InstallerError.io("cannot sync", path: temp, errno: e)
        }
        close(fd)
        guard rename(temp, path) == 0 else { throw InstallerError.io("cannot rename into", path: path, errno: errno) }
        ok = true
        syncDirectory(directory)
    }

    /// Removes `path` (if present) and fsyncs its directory.
    public static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT {
            throw InstallerError.io("cannot remove", path: path, errno: errno)
        }
        syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// Atomically renames `from` to `to` and fsyncs the directory.
    public static func move(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else { throw InstallerError.io("cannot rename \(from) to", path: to, errno: errno) }
        syncDirectory((to as NSString).deletingLastPathComponent)
    }

    public static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    public static func makeDirectories(_ directory: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw InstallerError(.ioError, "cannot create directory \(directory): \(error.localizedDescription)")
        }
    }

    /// The file's bytes, or nil when it does not exist.
    public static func read(_ path: String) throws -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InstallerError(.ioError, "cannot read \(path)")
        }
        return Array(data)
    }
}
