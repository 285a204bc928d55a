import Foundation

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
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw InstallerError(.ioError, "cannot run \(executable): \(error.localizedDescription)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                usleep(500_000)
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                try? output.close()
                let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
                return Result(status: 124, output: text + "\n(timed out after \(Int(timeout)) s)")
            }
            usleep(20_000)
        }
        process.waitUntilExit()
        try? output.close()
        return Result(status: process.terminationStatus,
                      output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    }
}
