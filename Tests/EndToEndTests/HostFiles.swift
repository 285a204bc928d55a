import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writing and reading the sandbox host the way other software on a node would.
extension EndToEndCluster {
    /// Writes `data` to `path` as careful tools do (a cloud agent rewriting containerd's config, a
    /// mirror refreshing an asset): a temp file next to it, fsync, rename — a reader sees old or new bytes.
    static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".e2e-\(UUID().uuidString.prefix(8)).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary)
        else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary]) }
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        // Keep the mode of the file replaced (an executable stays executable).
        if let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: temporary)
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// Runs `body` (blocking work: call it off the cooperative pool) holding the installer's host lock
    /// (`/run/lock/kwasm.lock`, flock), which every install, uninstall and status run takes first: no
    /// installer Job looks at the host halfway through `body`. Close-on-exec, so nothing `body` starts
    /// (a containerd) inherits the lock.
    func holdingHostLock<T>(_ body: () throws -> T) throws -> T {
        let path = hostPath("/run/lock/kwasm.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw CocoaError(.fileLocking, userInfo: [NSFilePathErrorKey: path]) }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// Every directory, file (with its bytes) and symlink of the host root that the installer could
    /// touch — everything except containerd's own working dirs (its root, state, log, `opt` plugin dir),
    /// which a running containerd changes by itself, and the installer's host lock (docs/security.md: an empty
    /// flock file on the `/run` tmpfs, taken before anything is read; it holds no state). Keys are host paths.
    func hostTree() -> [String: HostEntry] {
        let skipped = [
            "/var/lib/containerd", "/run/containerd", "/var/log/containerd.log", "/opt/containerd", "/run/lock/kwasm.lock",
        ]
        var tree: [String: HostEntry] = [:]
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: sandbox.hostRoot) else { return tree }
        while let relative = walker.nextObject() as? String {
            let hostPath = "/" + relative
            if skipped.contains(where: { hostPath == $0 || hostPath.hasPrefix($0 + "/") }) {
                walker.skipDescendants()
                continue
            }
            let full = sandbox.hostRoot + hostPath
            let attributes = (try? fm.attributesOfItem(atPath: full)) ?? [:]
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?: tree[hostPath] = .directory(mode: mode)
            case .typeSymbolicLink?: tree[hostPath] = .symlink(target: (try? fm.destinationOfSymbolicLink(atPath: full)) ?? "?")
            default: tree[hostPath] = .file(mode: mode, contents: fm.contents(atPath: full) ?? Data())
            }
        }
        return tree
    }

    /// What changed between two ``hostTree()``s, one line per path; empty when nothing did.
    static func differences(_ before: [String: HostEntry], _ after: [String: HostEntry]) -> [String] {
        Set(before.keys).union(after.keys).sorted().compactMap { path in
            switch (before[path], after[path]) {
            case let (old?, new?) where old == new: return nil
            case (nil, let new?): return "added \(path) (\(new))"
            case (let old?, nil): return "removed \(path) (\(old))"
            case let (old?, new?): return "changed \(path): \(old) → \(new)"
            case (nil, nil): return nil
            }
        }
    }
}

/// One entry of the host tree.
enum HostEntry: Equatable, CustomStringConvertible {
    case directory(mode: Int)
    case file(mode: Int, contents: Data)
    case symlink(target: String)

    var description: String {
        switch self {
        case .directory(let mode): "directory \(String(mode, radix: 8))"
        case .file(let mode, let contents): "file \(String(mode, radix: 8)), \(contents.count) bytes"
        case .symlink(let target): "symlink → \(target)"
        }
    }
}
