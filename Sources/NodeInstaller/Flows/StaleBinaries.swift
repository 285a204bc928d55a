import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// After a successful install: the binaries an earlier install put there that the current runtimes no longer
/// use. Compared as files (resolved path and inode), never as path strings, so another spelling of a path we
/// just installed is never deleted.
struct StaleBinaries {
    let paths: HostPaths

    /// Host paths in `recorded` (host path → sha256) to forget; `remove` says which of them to delete too
    /// (unchanged since we put them there and not one of `wanted`).
    func plan(recorded: [String: String], wanted: [String]) -> (forget: [String], remove: [String]) {
        let wantedFiles = wanted.compactMap { try? paths.resolveParent($0) }
        let wantedIdentities = Set(wantedFiles.compactMap(Self.identity))
        var forget: [String] = [], remove: [String] = []
        for (hostPath, sha) in recorded.sorted(by: { $0.key < $1.key }) where !wanted.contains(hostPath) {
            forget.append(hostPath)
            guard let target = try? paths.resolveParent(hostPath), !wantedFiles.contains(target) else { continue }
            if let identity = Self.identity(target), wantedIdentities.contains(identity) { continue }
            if (try? FileDigest.sha256(path: target)) == sha { remove.append(target) }
        }
        return (forget, remove)
    }

    struct Identity: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    static func identity(_ path: String) -> Identity? {
        HostFile.status(path).map { Identity(device: UInt64($0.st_dev), inode: UInt64($0.st_ino)) }
    }
}
