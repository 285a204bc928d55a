import Foundation
import HostProcess

/// Runs a program with a timeout, capturing stdout+stderr through a file: a daemon started by the program
/// (e.g. a restart script launching containerd) may inherit our pipe and keep it open forever.
public enum ProcessRunner {
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
    }

    public static func run(_ executable: String, _ arguments: [String], timeout: Double,
                           environment: [String: String]? = nil) throws -> Result {
        let outputPath = NSTemporaryDirectory() + "kwasm-out-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: outputPath, contents: nil) else {
            throw InstallerError(.ioError, "cannot create \(outputPath)")
        }
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let status: Int32
        do {
            status = try Spawn.run([executable] + arguments, environment: environment, stdin: "/dev/null",
                                       stdout: outputPath, stderr: outputPath, timeout: timeout)
        } catch let error as SpawnError {
            throw InstallerError(.ioError, error.message)
        }
        var text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        if status == 124 { text += "\n(timed out after \(Int(timeout)) s)" }
        return Result(status: status, output: text)
    }
}
