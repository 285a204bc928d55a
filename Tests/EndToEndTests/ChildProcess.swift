import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A long-running program started by the test (the operator binary), its output in a log file.
/// Foundation's `Process` is fine here: the program starts no daemon that could inherit its descriptors.
final class ChildProcess: @unchecked Sendable {
    let process: Process
    let logPath: String

    init(_ executable: String, _ arguments: [String], logPath: String) throws {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw CocoaError(.fileWriteUnknown) }
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        self.logPath = logPath
        try process.run()
        try? log.close()
    }

    var isRunning: Bool { process.isRunning }

    /// The last `count` lines of the program's output.
    func logTail(_ count: Int = 40) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(count).joined(separator: "\n")
    }

    /// SIGTERM (graceful shutdown), then SIGKILL if it is still running after `grace`; returns once it exited:
    /// its exit status when SIGTERM was enough, `nil` when it had to be killed (or had already exited).
    @discardableResult
    func stop(grace: Duration = .seconds(15)) async -> Int32? {
        guard process.isRunning else { return nil }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        guard process.isRunning else {
            return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        }
        kill(process.processIdentifier, SIGKILL)
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return nil
    }
}

/// Processes descended from `root` (children, grandchildren, …), read from `/proc/PID/task/*/children`.
func descendants(of root: pid_t) -> [pid_t] {
    var found: [pid_t] = []
    var queue = [root]
    while let pid = queue.popLast() {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for task in tasks {
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            for child in text.split(separator: " ").compactMap({ pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
                found.append(child)
                queue.append(child)
            }
        }
    }
    return found
}

/// Processes whose command line mentions `text` (a unique temp dir: only what this test started matches).
func processes(mentioning text: String) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(pid_t.init).filter { pid in
        guard pid != getpid(), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
    }
}

/// Runs blocking work (a program run to completion) on its own thread, keeping the small cooperative
/// pool (2 threads on 2 cores) free for the simulated kubelet and the HTTP clients.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try work() })
        }
        thread.start()
    }
}
