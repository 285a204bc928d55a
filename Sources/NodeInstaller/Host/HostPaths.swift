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

    /// Like ``resolve(_:)`` but keeps the last component as it is (never follows it): for every path we
    /// create, replace or delete, so a symlink planted there is replaced or removed, never written through.
    public func resolveParent(_ hostPath: String) throws -> String {
        let parts = hostPath.split(separator: "/")
        guard let last = parts.last, last != "..", last != "." else { return try resolve(hostPath) }
        let parent = try resolve("/" + parts.dropLast().joined(separator: "/"))
        return (parent.hasSuffix("/") ? parent : parent + "/") + last
    }

    /// Like ``resolve(_:)`` but never throws. A path that cannot be resolved (a symlink loop) maps to a name
    /// under the host root that does not exist: never to the literal path, which the kernel would resolve
    /// outside the host root.
    public func path(_ hostPath: String) -> String {
        (try? resolve(hostPath)) ?? (root + "/.kwasm-unresolvable-path")
    }

    /// Whether something (of any type) is at `hostPath` inside the host root.
    public func exists(_ hostPath: String) -> Bool {
        guard let resolved = try? resolve(hostPath) else { return false }
        return HostFile.exists(resolved)
    }
}
