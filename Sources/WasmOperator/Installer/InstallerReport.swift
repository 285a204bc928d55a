import Foundation

/// The JSON report `kwasm-node-installer` prints and writes to its termination log
/// (contracts.md). The operator reads it from the Pod's terminated container state.
///
/// The reading side of the wire format whose writing side is `NodeInstaller.InstallerReport`: two
/// types on purpose, because the operator must not link the installer (containerd config engine,
/// gRPC, TOML), and the reader is lenient where the writer is strict (optional fields, log lines
/// around the JSON). `InstallerReportWireFormatTests` pins that what one writes the other reads.
public struct InstallerReport: Sendable, Equatable, Codable {
    public enum Result: String, Sendable, Codable {
        case installed, unchanged, uninstalled, failed, unsupported, drifted, absent
    }

    public struct Runtime: Sendable, Equatable, Codable {
        public var name: String
        public var handler: String
        public var runtimeType: String?
        public var path: String?
        public var sha256: String?
        public var version: String?

        public init(name: String, handler: String, runtimeType: String? = nil, path: String? = nil,
                    sha256: String? = nil, version: String? = nil) {
            self.name = name
            self.handler = handler
            self.runtimeType = runtimeType
            self.path = path
            self.sha256 = sha256
            self.version = version
        }
    }

    public struct ReportError: Sendable, Equatable, Codable {
        public var code: String
        public var message: String
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var operation: InstallerOperation
    public var result: Result
    public var restarted: Bool?
    public var rolledBack: Bool?
    public var dryRun: Bool?
    public var distro: String?
    public var containerdVersion: String?
    public var configPath: String?
    public var configSchema: Int?
    public var machineID: String?
    public var runtimes: [Runtime]?
    public var backupPath: String?
    public var drift: [String]?
    public var error: ReportError?
    public var durationMs: Int?

    public init(operation: InstallerOperation, result: Result) {
        self.operation = operation
        self.result = result
    }

    /// Did the operation achieve what was asked (the installer's exit-code rule)?
    public var succeeded: Bool {
        switch (operation, result) {
        case (.install, .installed), (.install, .unchanged): return true
        case (.uninstall, .uninstalled), (.uninstall, .unchanged): return true
        case (.status, .installed), (.status, .drifted), (.status, .absent): return true
        default: return false
        }
    }

    public struct UndecodableReport: Error, CustomStringConvertible, Equatable {
        public let excerpt: String
        public var description: String { "installer report is not valid JSON: \(excerpt)" }
    }

    /// Decodes a termination message. Tolerates log lines before the JSON object (takes the
    /// last line that parses), since `terminationMessagePolicy: FallbackToLogsOnError` may
    /// hand us logs.
    public static func decode(terminationMessage: String) throws(UndecodableReport) -> InstallerReport {
        let decoder = JSONDecoder()
        if let report = try? decoder.decode(InstallerReport.self, from: Data(terminationMessage.utf8)) {
            return report
        }
        for line in terminationMessage.split(whereSeparator: \.isNewline).reversed() where line.first == "{" {
            if let report = try? decoder.decode(InstallerReport.self, from: Data(line.utf8)) { return report }
        }
        throw UndecodableReport(excerpt: String(terminationMessage.prefix(200)))
    }
}
