/// A typed engine error. Nothing is ever written when the engine throws.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable error codes; ``reportCode`` maps them to the installer contract's codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The root `version` is not 1, 2 or 3 (e.g. containerd 2.3's schema 4).
        public static let unsupportedSchema = Code("unsupportedSchema")
        /// The file is not valid TOML (or not UTF-8).
        public static let parseError = Code("parseError")
        /// The user already defines a runtime with our handler.
        public static let runtimeConflict = Code("runtimeConflict")
        /// The config shape prevents a safe edit (e.g. `runtimes` written as an inline table).
        public static let unsupportedLayout = Code("unsupportedLayout")
        /// The file is a template for another tool (Jinja2, Handlebars, …), not a file the node reads.
        public static let notAContainerdConfig = Code("notAContainerdConfig")
        /// The main config is missing and no `containerd config default` output was supplied.
        public static let missingDefaults = Code("missingDefaults")
        /// A runtime definition is invalid (bad handler name, missing binary path …).
        public static let invalidDefinition = Code("invalidDefinition")
        /// Our managed block is damaged (e.g. BEGIN marker without END).
        public static let damagedManagedBlock = Code("damagedManagedBlock")
    }

    public var code: Code
    /// Host path of the file concerned, if any.
    public var file: String?
    /// 1-based line, if known.
    public var line: Int?
    /// 1-based column (in bytes), if known.
    public var column: Int?
    /// Human-readable reason.
    public var reason: String

    public init(_ code: Code, file: String? = nil, line: Int? = nil, column: Int? = nil, reason: String) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// The installer contract's error code (`UnsupportedSchema`, `ConfigParseError`, `RuntimeConflict`, `InvalidArgument`).
    public var reportCode: String {
        switch code {
        case .unsupportedSchema: return "UnsupportedSchema"
        case .runtimeConflict: return "RuntimeConflict"
        case .invalidDefinition: return "InvalidArgument"
        default: return "ConfigParseError"
        }
    }

    /// "FILE:LINE:COL: reason".
    public var description: String {
        var location = file ?? "<config>"
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return "\(location): \(reason)"
    }

    static func unsupportedSchema(_ n: Int64, file: String, line: Int?) -> ConfigError {
        ConfigError(.unsupportedSchema, file: file, line: line, reason: "unsupported containerd config schema \(n)")
    }

    static func runtimeConflict(_ name: String, file: String, line: Int?) -> ConfigError {
        ConfigError(.runtimeConflict, file: file, line: line,
                    reason: "runtime \"\(name)\" is already defined outside the kwasm-operator block; refusing to change it (use take-over to replace it)")
    }
}
