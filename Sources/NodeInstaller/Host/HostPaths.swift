import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Maps host paths (as the node sees them) to paths under `--host-root`, chroot-style: `..` stops at the
/// host root and absolute symlinks are followed *inside* it, so no host path can escape the mount.
public struct HostPaths: Sendable {
    /// The mount point of the host's `/`.
    public let root: String

    public init(root: String) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r == "/" ? "" : r
    }

    /// The path under the host root for host path `hostPath`, resolving symlinks inside the host root.
    public func resolve(_ hostPath: String) throws -> String {
        var pending = hostPath.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part.isEmpty || part == "." { continue }
            if part == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let candidate = root + "/" + (resolved + [part]).joined(separator: "/")
            var info = stat()
            if lstat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
                hops += 1
                guard hops <= 40 else { throw InstallerError(.ioError, "too many symlinks resolving \(hostPath)") }
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(candidate, &buffer, buffer.count - 1)
                guard n >= 0 else { throw InstallerError.io("cannot read symlink", path: candidate, errno: errno) }
                let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if target.hasPrefix("/") { resolved = [] }
                pending = target.split(separator: "/").map(String.init) + pending
                continue
            }
            resolved.append(part)
        }
        return root + "/" + resolved.joined(separator: "/")
    }

    /// Like ``resolve(_:)`` but never throws (unresolvable symlinks keep the literal path under the root).
    public func path(_ hostPath: String) -> String {
        (try? resolve(hostPath)) ?? (root + "/" + hostPath.split(separator: "/").filter { $0 != ".." }.joined(separator: "/"))
    }
}
