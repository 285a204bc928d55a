import Foundation
import Logging

/// `--log-format json`: one JSON object per line on stderr (ts, level, logger, msg, metadata).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(explicit ?? [:], uniquingKeysWith: { $1 }) { fields[key] = "\(value)" }
        fields["ts"] = ISO8601DateFormatter().string(from: Date())
        fields["level"] = level.rawValue
        fields["logger"] = label
        fields["msg"] = message.description
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var data = try? encoder.encode(fields) else { return }
        data.append(0x0A)
        FileHandle.standardError.write(data)
    }
}

extension Logger {
    /// A logger honouring `--log-format` and `--log-level` (no global bootstrap).
    public static func operatorLogger(label: String, format: OperatorConfiguration.LogFormat, level: String) -> Logger {
        var logger = Logger(label: label) { label in
            switch format {
            case .json: return JSONLogHandler(label: label)
            case .text: return StreamLogHandler.standardError(label: label)
            }
        }
        logger.logLevel = Logger.Level(rawValue: level) ?? .info
        return logger
    }
}
