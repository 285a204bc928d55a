import ContainerdConfig
import Foundation

/// What decides where the *running* containerd looks for a shim binary: its version, the `PATH` it was started
/// with (`/proc/PID/environ`), the directory of its own binary (`/proc/PID/exe`) and its working directory.
/// All paths are host paths. The installer runs with `hostPID`, so the pid from ``ContainerdIdentity`` is
/// the host's and its `/proc` entry is the host's.
public struct ContainerdProcess: Sendable, Equatable {
    public var version: ContainerdVersion
    /// `PATH` entries in order (an empty entry means the working directory, as Go's `exec.LookPath` reads it).
    public var path: [String]
    /// The directory of containerd's binary.
    public var binaryDirectory: String
    public var workingDirectory: String

    public init(version: ContainerdVersion, path: [String], binaryDirectory: String, workingDirectory: String = "/") {
        self.version = version
        self.path = path
        self.binaryDirectory = binaryDirectory
        self.workingDirectory = workingDirectory
    }

    /// A process without `PATH` in its environment gets Go's default for `os/exec`: none, so only the binary
    /// dir is searched. systemd always sets one; we say so rather than guess.
    public static func inspect(pid: Int32, version: ContainerdVersion, proc: String = "/proc") -> ContainerdProcess? {
        guard let environ = FileManager.default.contents(atPath: "\(proc)/\(pid)/environ"),
              let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(proc)/\(pid)/exe")
        else { return nil }
        let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        let pathValue = variables.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
        let cwd = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(proc)/\(pid)/cwd")) ?? "/"
        // A replaced binary shows as "/usr/bin/containerd (deleted)": the directory is still the one searched.
        let binary = exe.hasSuffix(" (deleted)") ? String(exe.dropLast(10)) : exe
        return ContainerdProcess(
            version: version,
            path: pathValue.map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) } ?? [],
            binaryDirectory: (binary as NSString).deletingLastPathComponent,
            workingDirectory: cwd
        )
    }

    /// containerd's CRI passes `runtime_path` to the task service only from 1.6.21 and 1.7.1 on: before, the
    /// client's `WithRuntimePath` option set a field that `NewTask` never sent (fixed by "WithRuntimePath uses
    /// the TaskInfo.RuntimePath field", in 1.6.21 and 1.7.1). On 1.6.0–1.6.20 and 1.7.0 the shim must be found
    /// by name.
    public var honoursRuntimePath: Bool {
        let v = version
        if v.major != 1 { return v.major > 1 }
        switch v.minor {
        case ..<6: return false
        case 6: return v.patch >= 21
        case 7: return v.patch >= 1
        default: return true
        }
    }
}
