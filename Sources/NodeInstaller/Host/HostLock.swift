import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The host-wide installer lock (`/run/lock/kwasm.lock` on the host, `flock`): two installs, or an install
/// and an uninstall, never interleave. Released when the process exits, even on SIGKILL.
public final class HostLock: @unchecked Sendable {
    private var fd: Int32

    private init(fd: Int32) {
        self.fd = fd
    }

    /// Takes the lock, waiting at most `timeout` seconds.
    public static func acquire(at path: String, timeout: Double) throws -> HostLock {
        try AtomicFile.makeDirectories((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw InstallerError.io("cannot open lock", path: path, errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw InstallerError(.ioError, "lock \(path) is not a regular file; refusing to use it")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let e = errno
                close(fd)
                throw InstallerError.io("cannot lock", path: path, errno: e)
            }
            if Date() > deadline {
                close(fd)
                throw InstallerError(.lockTimeout, "another kwasm installer holds \(path) (waited \(Int(timeout)) s)")
            }
            usleep(100_000)
        }
        return HostLock(fd: fd)
    }

    public func release() {
        if fd >= 0 {
            flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
