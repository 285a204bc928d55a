import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Raised when a program cannot be started or waited for.
public struct SpawnError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, naming the program or the failing call.
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `posix_spawn` + `waitpid`, with stdout/stderr sent to files and every other descriptor closed in the child.
///
/// Foundation's `Process` is not used on purpose: it notices a child's exit through a descriptor the child
/// inherits, so a daemon started by the child (containerd launched by a start script) keeps the parent
/// waiting forever.
public enum Spawn {
    /// Runs a program to completion (or until `timeout`).
    ///
    /// - Parameters:
    ///   - argv: the absolute executable path first, then its arguments.
    ///   - environment: the child's environment; `nil` passes ours on.
    ///   - stdin: file opened read-only as the child's standard input (e.g. `/dev/null`).
    ///   - stdout: file created or truncated for the child's standard output.
    ///   - stderr: file for standard error; the same path as `stdout` sends both into one file.
    ///   - timeout: seconds after which the child is killed (`SIGKILL`); `nil` waits forever.
    /// - Returns: the exit status, 128+signal when the child was killed by a signal, 124 on timeout.
    /// - Throws: ``SpawnError`` when the program cannot be started or `waitpid` fails.
    public static func run(_ argv: [String], environment: [String: String]?, stdin: String, stdout: String, stderr: String,
                           timeout: Double? = nil) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if stderr == stdout {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        closeInheritedDescriptors(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var cArgs = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, &cArgs, &cEnv)
        guard rc == 0 else { throw SpawnError("cannot run \(argv[0]): \(String(cString: strerror(rc)))") }

        let deadline = timeout.map { Date().addingTimeInterval($0) }
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, deadline == nil ? 0 : WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { throw SpawnError("waitpid failed: \(errno)") }
            if let deadline, Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return 124
            }
            if deadline != nil { usleep(10_000) }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Closes every descriptor above 2 in the child (`posix_spawn_file_actions_addclosefrom_np`, glibc ≥ 2.34,
    /// looked up at run time because Swift's Glibc module does not export it; else one close per open fd).
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            let closeFrom = unsafeBitCast(symbol, to: CloseFrom.self)
            if closeFrom(&actions, 3) == 0 { return }
        }
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in descriptors.compactMap(Int32.init) where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }
}
