import Foundation
import HostProcess

/// The outcome of one finished command.
public struct CommandResult: Sendable, CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public var succeeded: Bool { status == 0 }
    public var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// Raised when a command the sandbox depends on fails.
public struct SandboxError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Runs a program to completion, capturing its output through temporary files (pipes can
/// fill up and deadlock when a child writes a lot before we read).
public enum CommandRunner {
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        input: String? = nil
    ) throws -> CommandResult {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("kwsb-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out")
        let errURL = scratch.appendingPathComponent("err")
        var stdinPath = "/dev/null"
        if let input {
            let inURL = scratch.appendingPathComponent("in")
            try Data(input.utf8).write(to: inURL)
            stdinPath = inURL.path
        }
        let status: Int32
        do {
            status = try Spawn.run([executable] + arguments, environment: environment, stdin: stdinPath,
                                       stdout: outURL.path, stderr: errURL.path)
        } catch let error as SpawnError {
            throw SandboxError(error.message)
        }
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return CommandResult(status: status, stdout: stdout, stderr: stderr)
    }

    /// Runs `script` with `/bin/sh -c`.
    public static func shell(_ script: String, environment: [String: String]? = nil) throws -> CommandResult {
        try run("/bin/sh", ["-c", script], environment: environment)
    }
}
