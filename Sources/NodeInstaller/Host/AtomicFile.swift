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
    /// The owner a new file gets.
    public struct Owner: Sendable, Equatable {
        public var uid: uid_t
        public var gid: gid_t
    }

    /// Writes `bytes` to `path` (creating parent directories), with `mode`, or the existing regular file's mode
    /// when nil, and `owner`, or the existing regular file's owner when nil. Whatever is at `path` (a symlink
    /// included) is replaced, never written through.
    public static func write(_ bytes: some DataProtocol, to path: String, mode: mode_t? = nil, owner: Owner? = nil) throws {
        // Written from the caller's storage: a large config is not copied once more here.
        try write(to: path, mode: mode, owner: owner) { fd in
            bytes.withContiguousStorageIfAvailable { writeAll(fd, UnsafeRawBufferPointer($0)) }
                ?? Array(bytes).withUnsafeBytes { writeAll(fd, $0) }
        }
    }

    /// ``write(_:to:mode:owner:)`` of the concatenated `parts`, one write per part (no joined copy).
    public static func write(parts: [ArraySlice<UInt8>], to path: String, mode: mode_t? = nil, owner: Owner? = nil) throws {
        try write(to: path, mode: mode, owner: owner) { fd in
            for part in parts {
                if let failure = part.withUnsafeBytes({ writeAll(fd, $0) }) { return failure }
            }
            return nil
        }
    }

    /// The temp file, fsync and rename around `fill`, which writes the contents to the temp file's descriptor
    /// and returns errno on failure.
    private static func write(to path: String, mode: mode_t?, owner: Owner?, _ fill: (Int32) -> Int32?) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try makeDirectories(directory)
        var existing = stat()
        let existingRegular = lstat(path, &existing) == 0 && existing.st_mode & S_IFMT == S_IFREG
        if !existingRegular { existing = stat() }
        let finalMode = mode ?? (existingRegular ? existing.st_mode & 0o7777 : 0o644)
        let finalOwner = owner ?? Owner(uid: existing.st_uid, gid: existing.st_gid)
        let temp = InstallerFiles.temporary(for: path)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw InstallerError.io("cannot create", path: temp, errno: errno) }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        if let failure = fill(fd) {
            close(fd)
            throw InstallerError.io("cannot write", path: temp, errno: failure)
        }
        if finalOwner.uid != 0 || finalOwner.gid != 0 { _ = fchown(fd, finalOwner.uid, finalOwner.gid) }
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

    /// Writes every byte to `fd`; returns errno on failure.
    private static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32? {
        var written = 0
        while written < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            written += n
        }
        return nil
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

    /// The regular file's bytes, or nil when it does not exist (never blocks, never follows the last component).
    public static func read(_ path: String) throws -> [UInt8]? {
        try HostFile.read(path)
    }
}
