import Foundation
import Logging

/// Executes an installer Job's command for real on this machine: `kwasm-node-installer <op>`
/// with the Job's environment, against a sandbox host root instead of `/host`. The report
/// (stdout) becomes the Pod's termination message.
public struct InstallerProcessRunner: Sendable {
    public let installer: String
    public let hostRoot: String
    public let environment: [String: String]
    let logger: Logger

    public init(installer: String, hostRoot: String, environment: [String: String] = [:], logger: Logger) {
        self.installer = installer
        self.hostRoot = hostRoot
        self.environment = environment
        self.logger = logger
    }

    public var behavior: SimulatedCluster.Behavior {
        { request in await run(request) }
    }

    public func run(_ request: InstallerJobRequest) async -> InstallerJobOutcome {
        var arguments = Array(request.command.dropFirst())  // argv[0] is the image's kwasm-node-installer
        if arguments.isEmpty { arguments = [request.operation] }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in request.environment { env[key] = value }
        env["KWASM_HOST_ROOT"] = hostRoot
        for (key, value) in environment { env[key] = value }
        logger.notice("executing installer", metadata: ["job": "\(request.jobName)", "arguments": "\(arguments)"])
        let result = await Task.detached { () -> (Int32, String, String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: installer)
            process.arguments = arguments
            process.environment = env
            let stdout = Pipe()
            let stderr = Pipe()
            process.standardOutput = stdout
            process.standardError = stderr
            do { try process.run() } catch {
                return (127, "", "cannot run \(installer): \(error)")
            }
            let out = stdout.fileHandleForReading.readDataToEndOfFile()
            let err = stderr.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
        }.value
        let (status, output, errors) = result
        if !errors.isEmpty { logger.info("installer stderr", metadata: ["job": "\(request.jobName)", "stderr": "\(errors.suffix(2000))"]) }
        let report = output.split(whereSeparator: \.isNewline).last { $0.first == "{" }.map(String.init)
        if status == 0, let report { return .succeeded(report: report) }
        return .failed(exitCode: status == 0 ? 1 : status, report: report)
    }
}
