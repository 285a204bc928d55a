/// Where a running containerd will find the shim for a `runtime_type`, decided the way its shim manager does
/// (`runtime/v2/manager.go` `resolveRuntimePath` in 1.6/1.7, `core/runtime/v2/shim_manager.go` in 2.x):
/// 1. an honoured `runtime_path` (absolute; it must exist or the start fails),
/// 2. `containerd-shim-NAME-VERSION` next to the runtime name taken as a path (relative to the working dir),
/// 3. `exec.LookPath` over containerd's `PATH` (a regular file with an execute bit),
/// 4. the directory of containerd's own binary.
public struct ShimLookup: Sendable {
    /// How a host path looks to the lookup; the installer answers under `--host-root`.
    public enum FileKind: Sendable, Equatable {
        case missing, executable, other
    }

    public enum Resolution: Sendable, Equatable {
        case found(path: String, how: String)
        case notFound(name: String, searched: [String])
    }

    public var process: ContainerdProcess
    public var kind: @Sendable (String) -> FileKind

    public init(process: ContainerdProcess, kind: @escaping @Sendable (String) -> FileKind) {
        self.process = process
        self.kind = kind
    }

    /// `containerd-shim-wasmtime-v1` for `io.containerd.wasmtime.v1` (the last two dot-separated parts).
    public static func binaryName(runtimeType: String) -> String? {
        let parts = runtimeType.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return nil }
        return "containerd-shim-\(parts[parts.count - 2])-\(parts[parts.count - 1])"
    }

    public func resolve(runtimeType: String, runtimePath: String?) -> Resolution {
        if process.honoursRuntimePath, let runtimePath, !runtimePath.isEmpty {
            return kind(runtimePath) == .missing
                ? .notFound(name: runtimePath, searched: [runtimePath])
                : .found(path: runtimePath, how: "runtime_path")
        }
        if runtimeType.hasPrefix("/") {
            return kind(runtimeType) == .missing ? .notFound(name: runtimeType, searched: [runtimeType]) : .found(path: runtimeType, how: "runtime_type path")
        }
        guard let name = Self.binaryName(runtimeType: runtimeType) else { return .notFound(name: runtimeType, searched: []) }
        var searched: [String] = []
        let besideName = Self.join(process.workingDirectory, Self.directory(of: runtimeType), name)
        searched.append(besideName)
        if kind(besideName) != .missing { return .found(path: besideName, how: "runtime name as a path") }
        for entry in process.path {
            let candidate = Self.join(entry.isEmpty ? process.workingDirectory : entry, name)
            searched.append(candidate)
            if kind(candidate) == .executable { return .found(path: candidate, how: "containerd's PATH") }
        }
        let besideContainerd = Self.join(process.binaryDirectory, name)
        searched.append(besideContainerd)
        if kind(besideContainerd) != .missing { return .found(path: besideContainerd, how: "next to the containerd binary") }
        return .notFound(name: name, searched: searched)
    }

    /// `filepath.Dir` of a runtime name: "." for `io.containerd.x.v1`.
    static func directory(of runtimeType: String) -> String {
        runtimeType.lastIndex(of: "/").map { String(runtimeType[..<$0]) } ?? "."
    }

    /// Joins and cleans like Go's `filepath.Join` + `filepath.Abs` (relative parts against the first, absolute one).
    static func join(_ parts: String...) -> String {
        var stack: [Substring] = []
        for part in parts {
            if part.hasPrefix("/") { stack = [] }
            for piece in part.split(separator: "/") where piece != "." {
                if piece == ".." { if !stack.isEmpty { stack.removeLast() } } else { stack.append(piece) }
            }
        }
        return "/" + stack.joined(separator: "/")
    }
}
