import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads of host files that cannot hang or be redirected: the last component is never followed
/// (`O_NOFOLLOW`; ``HostPaths`` has already resolved symlinks inside the host root), a FIFO or device
/// is refused instead of blocking (`O_NONBLOCK`, then `fstat` must say regular file), and every read
/// is bounded.
public enum HostFile {
    /// Largest host file read whole: a containerd config, state.json, a backup.
    public static let readLimit = 256 << 20

    /// The file type (`S_IFMT` bits) of `path` itself, nil when nothing is there.
    public static func type(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    /// `lstat` of `path`, nil when nothing is there.
    public static func status(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    public static func exists(_ path: String) -> Bool { type(path) != nil }

    public static func isRegular(_ path: String) -> Bool { type(path) == S_IFREG }

    /// Opens a regular file for reading; nil when it does not exist; throws for anything else.
    public static func openRegular(_ path: String) throws -> Int32? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            if e == ENOENT || e == ENOTDIR { return nil }
            if e == ELOOP { throw InstallerError(.ioError, "\(path) is a symbolic link, not a regular file; refusing to follow it") }
            throw InstallerError.io("cannot open", path: path, errno: e)
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw InstallerError(.ioError, "\(path) is not a regular file (\(describe(info.st_mode))); refusing to read it")
        }
        return fd
    }

    /// The whole regular file, nil when it does not exist; throws when it is larger than `limit`.
    public static func read(_ path: String, limit: Int = readLimit) throws -> [UInt8]? {
        guard let fd = try openRegular(path) else { return nil }
        defer { close(fd) }
        var info = stat()
        _ = fstat(fd, &info)
        guard Int(info.st_size) <= limit else {
            throw InstallerError(.ioError, "\(path) is \(info.st_size) bytes, more than the \(limit) this installer reads")
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(Int(info.st_size))
        try readLoop(fd, path: path, limit: limit) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// At most the last `count` bytes of a regular file (for quoting logs).
    public static func tail(_ path: String, count: Int) -> [UInt8]? {
        guard let fd = try? openRegular(path) else { return nil }
        defer { close(fd) }
        var info = stat()
        _ = fstat(fd, &info)
        if Int(info.st_size) > count { lseek(fd, off_t(Int(info.st_size) - count), SEEK_SET) }
        var bytes = [UInt8]()
        try? readLoop(fd, path: path, limit: count) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Feeds the file's bytes to `body` in chunks; throws past `limit` bytes (the file grew while read).
    static func readLoop(_ fd: Int32, path: String, limit: Int, _ body: (UnsafeRawBufferPointer) -> Void) throws {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InstallerError.io("cannot read", path: path, errno: errno)
            }
            if n == 0 { return }
            total += n
            guard total <= limit else { throw InstallerError(.ioError, "\(path) grew past \(limit) bytes while being read") }
            buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    static func describe(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFDIR: return "a directory"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }
}
