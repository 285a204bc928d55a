import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Which containerd process is serving the socket: pid plus its start time in clock ticks since boot
/// (pids are reused; the pair is not). Two equal identities mean containerd has not restarted in between.
public struct ContainerdIdentity: Codable, Sendable, Equatable {
    public var pid: Int32
    public var startTicks: UInt64

    /// The process that listens on `socketPath`, from `SO_PEERCRED` (the Job runs with `hostPID`, so the pid is
    /// the host's). `nil` when nothing answers or the pid is not visible from here.
    public static func current(socketPath: String) -> ContainerdIdentity? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { return nil }
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } (not exported to Swift without _GNU_SOURCE).
        var credentials = PeerCredentials()
        var length = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, credentials.pid > 0 else { return nil }
        guard let ticks = startTicks(pid: credentials.pid) else { return nil }
        return ContainerdIdentity(pid: credentials.pid, startTicks: ticks)
    }

    struct PeerCredentials {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// Field 22 of `/proc/PID/stat`.
    static func startTicks(pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After "pid (comm)": field 3 (state) is index 0, so field 22 is index 19.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }
}
