import Foundation

/// The one JSON object the installer prints (contracts.md "The report"); the operator reads it from the
/// Pod's termination message, so ``encoded()`` keeps it under 4 KiB.
public struct InstallerReport: Codable, Sendable, Equatable {
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
    public var result: String
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

    public init(operation: String, result: String) {
        self.operation = operation
        self.result = result
    }

    /// Exit status per contract: 0 for installed/unchanged/uninstalled, and for any status that reports.
    public var exitCode: Int32 {
        switch (operation, result) {
        case (_, "installed"), (_, "unchanged"), (_, "uninstalled"): return 0
        case ("status", "absent"), ("status", "drifted"): return 0
        case (_, "unsupported"): return 3
        default: return 1
        }
    }

    /// Compact JSON, at most `limit` bytes: long messages and drift lists are shortened first.
    public func encoded(limit: Int = 4000) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var report = self
        var data = (try? encoder.encode(report)) ?? Data()
        // Shorten step by step, most expendable first; every step strictly shrinks, so this ends.
        var messageLimit = 2000
        while data.count > limit {
            if messageLimit >= 100, let error = report.error, error.message.count > messageLimit {
                report.error?.message = String(error.message.prefix(messageLimit)) + "…"
                messageLimit /= 2
            } else if let drift = report.drift, drift.count > 1 {
                let keep = drift.count / 2
                report.drift = Array(drift.prefix(keep - (keep > 1 ? 1 : 0))) + ["… \(drift.count - keep + (keep > 1 ? 1 : 0)) more"]
                if report.drift!.count >= drift.count { report.drift = [drift[0]] }
            } else if let error = report.error, error.message.count > 40 {
                report.error?.message = String(error.message.prefix(40)) + "…"
            } else if !report.runtimes.isEmpty {
                report.runtimes.removeLast()
            } else {
                report.drift = nil
                report.machineID = nil
                data = (try? encoder.encode(report)) ?? Data()
                break
            }
            data = (try? encoder.encode(report)) ?? Data()
        }
        return data
    }
}
