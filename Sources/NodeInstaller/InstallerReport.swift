import Foundation

/// The one JSON object the installer prints (contracts.md "The report"); the operator reads it from the
/// Pod's termination message, so ``encoded()`` keeps it under 4 KiB.
public struct InstallerReport: Codable, Sendable, Equatable {
    /// The outcome, spelled on the wire as the operator's `InstallerReport.Result` reads it.
    public enum Result: String, Codable, Sendable, CaseIterable {
        case installed, unchanged, uninstalled, failed, unsupported, drifted, absent
    }

    public struct Runtime: Codable, Sendable, Equatable {
        public var name: String
        public var handler: String
        public var runtimeType: String
        public var path: String
        public var sha256: String
        public var version: String

        public init(name: String, handler: String, runtimeType: String, path: String, sha256: String, version: String) {
            self.name = name
            self.handler = handler
            self.runtimeType = runtimeType
            self.path = path
            self.sha256 = sha256
            self.version = version
        }
    }

    public struct ErrorInfo: Codable, Sendable, Equatable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// Where the time went (milliseconds): restart, verification, everything else.
    public struct Timings: Codable, Sendable, Equatable {
        public var restartMs: Int = 0
        public var verifyMs: Int = 0
        public var restMs: Int = 0

        public init() {}
    }

    public var operation: String
    public var result: Result
    public var restarted: Bool = false
    public var rolledBack: Bool = false
    public var dryRun: Bool = false
    public var distro: String = "default"
    public var containerdVersion: String?
    public var configPath: String?
    public var configSchema: Int?
    public var machineID: String?
    public var runtimes: [Runtime] = []
    public var backupPath: String?
    public var drift: [String]?
    /// How the handlers were proven usable ("pod-sandbox: …" or "resolution-only: …"), after an install verified them.
    public var verification: String?
    public var error: ErrorInfo?
    public var durationMs: Int = 0
    public var timings: Timings?

    public init(operation: String, result: Result) {
        self.operation = operation
        self.result = result
    }

    /// Exit status per contract: 0 for installed/unchanged/uninstalled, and for any status that reports.
    public var exitCode: Int32 {
        switch (operation, result) {
        case (_, .installed), (_, .unchanged), (_, .uninstalled): return 0
        case ("status", .absent), ("status", .drifted): return 0
        case (_, .unsupported): return 3
        default: return 1
        }
    }

    /// Compact JSON, at most `limit` bytes (`limit` ≥ 512). Each step below strictly shrinks the report or
    /// moves to the next step, and the last step is a fixed-size report, so this always ends.
    public func encoded(limit: Int = 4000) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func encode(_ report: InstallerReport) -> Data { (try? encoder.encode(report)) ?? Data() }
        var report = self
        var data = encode(report)
        if data.count <= limit { return data }
        // 1. Halve the message until it fits or is short.
        while data.count > limit, let message = report.error?.message, message.count > 200 {
            report.error?.message = String(message.prefix(message.count / 2)) + "…"
            data = encode(report)
        }
        // 2. Halve the drift list, keeping a count of what was dropped.
        while data.count > limit, let drift = report.drift, drift.count > 1 {
            let kept = drift.count / 2
            report.drift = Array(drift.prefix(kept - 1)) + ["… \(drift.count - kept + 1) more"]
            data = encode(report)
        }
        // 3. Drop runtimes from the end, then free-text fields no longer needed to act on the failure.
        while data.count > limit, !report.runtimes.isEmpty {
            report.runtimes.removeLast()
            data = encode(report)
        }
        if data.count > limit {
            report.drift = report.drift.map { $0.map { String($0.prefix(200)) } }
            report.machineID = report.machineID.map { String($0.prefix(64)) }
            report.configPath = report.configPath.map { Self.shorten($0, to: 200) }
            report.backupPath = report.backupPath.map { Self.shorten($0, to: 200) }
            report.containerdVersion = report.containerdVersion.map { String($0.prefix(64)) }
            report.error = report.error.map { ErrorInfo(code: String($0.code.prefix(64)), message: String($0.message.prefix(200))) }
            report.distro = String(report.distro.prefix(32))
            report.operation = String(report.operation.prefix(32))
            data = encode(report)
        }
        // 4. Still too big (only a tiny `limit` gets here): the bare outcome.
        if data.count > limit {
            var bare = InstallerReport(operation: report.operation, result: report.result)
            bare.error = report.error.map { ErrorInfo(code: $0.code, message: String($0.message.prefix(40))) }
            data = encode(bare)
        }
        return data
    }

    private static func shorten(_ text: String, to length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length)) + "…"
    }
}
