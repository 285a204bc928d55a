import Foundation
@testable import NodeInstaller
#if canImport(Glibc)
import Glibc
#endif

/// A host root in a temporary directory, with an `outside` directory next to it (what must never change) and an
/// assets dir, for running the installer in-process: no containerd, `--restart none`, verification that fails
/// at once, so every install ends in its rollback path.
struct TempHost {
    let base: String
    var root: String { base + "/host" }
    var outside: String { base + "/outside" }
    var assets: String { base + "/assets" }

    static let config = """
        version = 2

        [plugins."io.containerd.grpc.v1.cri".containerd]
          default_runtime_name = "runc"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
          runtime_type = "io.containerd.runc.v2"

        """

    init() throws {
        base = NSTemporaryDirectory() + "kwasm-hard-\(UUID().uuidString.prefix(8))"
        for dir in [root + "/etc/containerd", outside, assets + "/bin"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try write("/etc/containerd/config.toml", Self.config)
        try write("/etc/machine-id", "0123456789abcdef0123456789abcdef\n")
        try Data("outside secret\n".utf8).write(to: URL(fileURLWithPath: outside + "/secret"))
    }

    func destroy() {
        _ = try? FileManager.default.removeItem(atPath: base)
    }

    /// Writes a file at host path `hostPath` (inside the root, parents created).
    func write(_ hostPath: String, _ text: String, mode: Int = 0o644) throws {
        let path = root + hostPath
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode_t(mode))
    }

    /// Whether a directory on the way from the root to `hostPath` is a symlink (or not a directory).
    func hasLinkedAncestor(_ hostPath: String) -> Bool {
        var current = root
        for component in hostPath.split(separator: "/").dropLast() {
            current += "/" + component
            var info = stat()
            guard lstat(current, &info) == 0 else { return false }  // missing: created as a plain directory
            if info.st_mode & S_IFMT != S_IFDIR { return true }
        }
        return false
    }

    func symlink(_ hostPath: String, to target: String) throws {
        let path = root + hostPath
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    func fifo(_ hostPath: String) throws {
        let path = root + hostPath
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard mkfifo(path, 0o644) == 0 else { throw InstallerError.io("mkfifo", path: path, errno: errno) }
    }

    /// A character device (like /dev/zero) at `hostPath`; false where the file system refuses devices.
    @discardableResult
    func device(_ hostPath: String) -> Bool {
        let path = root + hostPath
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return mknod(path, S_IFCHR | 0o666, dev_t((1 << 8) | 5)) == 0
    }

    /// A catalog of `runtimes` (name → [(basename, bytes, mode)]) with correct checksums unless `wrongSHA`.
    func catalog(_ runtimes: [(name: String, files: [(String, String, String)], options: [String: JSONScalar])], wrongSHA: Bool = false) throws {
        var entries: [[String: Any]] = []
        for runtime in runtimes {
            var files: [[String: String]] = []
            for (name, text, mode) in runtime.files {
                try Data(text.utf8).write(to: URL(fileURLWithPath: assets + "/bin/" + name))
                chmod(assets + "/bin/" + name, 0o755)
                let sha = wrongSHA ? String(repeating: "0", count: 64) : FileDigest.sha256(Data(text.utf8))
                files.append(["path": "bin/" + name, "sha256": sha, "mode": mode])
            }
            var options: [String: Any] = [:]
            for (key, value) in runtime.options {
                switch value {
                case .string(let s): options[key] = s
                case .bool(let b): options[key] = b
                default: options[key] = "\(value)"
                }
            }
            entries.append(["name": runtime.name, "handler": runtime.name, "kind": "shim", "version": "1",
                            "runtimeType": "io.containerd.\(runtime.name).v1", "files": files, "options": options])
        }
        let data = try JSONSerialization.data(withJSONObject: ["runtimes": entries], options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: assets + "/runtimes.json"))
    }

    /// One simple shim runtime `demo`.
    func simpleCatalog(mode: String = "0755") throws {
        try catalog([(name: "demo", files: [("containerd-shim-demo-v1", "#!/bin/sh\necho demo\n", mode)], options: [:])])
    }

    func options(_ configure: (inout InstallerOptions) -> Void = { _ in }) -> InstallerOptions {
        var options = InstallerOptions(hostRoot: root)
        options.assets = assets
        options.restart = .none
        options.verifyTimeout = 0
        options.lockTimeout = 5
        configure(&options)
        return options
    }

    func run(_ operation: NodeInstaller.Operation, _ configure: (inout InstallerOptions) -> Void = { _ in }) async -> InstallerReport {
        await NodeInstaller(options: options(configure)).run(operation)
    }

    /// Everything under `directory` by relative path: type, mode, owner, and content hash or link target.
    /// Never follows a symlink and never opens a FIFO or device.
    static func tree(_ directory: String, skipping skipped: Set<String> = []) -> [String: String] {
        var result: [String: String] = [:]
        func walk(_ relative: String) {
            let path = relative.isEmpty ? directory : directory + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { return }
            let attributes = "\(String(info.st_mode, radix: 8)) \(info.st_uid):\(info.st_gid)"
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                result[relative] = "dir " + attributes
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                for name in names.sorted() {
                    let child = relative.isEmpty ? name : relative + "/" + name
                    if !skipped.contains(child) { walk(child) }
                }
            case S_IFLNK:
                result[relative] = "link " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
            case S_IFREG:
                result[relative] = "file \(attributes) " + ((try? FileDigest.sha256(path: path)) ?? "unreadable")
            default:
                result[relative] = "special \(attributes) \(info.st_rdev)"
            }
        }
        walk("")
        return result
    }

    var hostTree: [String: String] { Self.tree(root) }

    /// What changed in the host root since `before`: every difference, except the host-wide lock file (and
    /// the directories holding it) created by the run: a tmpfs file that stays once made, by design.
    func changes(since before: [String: String]) -> [String] {
        let after = hostTree
        let lockPaths: Set<String> = ["run", "run/lock", "run/lock/kwasm.lock"]
        var changes: [String] = []
        for key in Set(before.keys).union(after.keys).sorted() where before[key] != after[key] {
            if before[key] == nil, lockPaths.contains(key) { continue }
            changes.append("\(key): \(before[key] ?? "absent") -> \(after[key] ?? "absent")")
        }
        return changes
    }

    var outsideTree: [String: String] { Self.tree(outside) }
}
