import ContainerdConfig

/// A runtime option value as stored in `runtimes.json` (string, integer, bool, float or array of those).
public enum JSONScalar: Codable, Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case float(Double)
    case array([JSONScalar])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let i = try? container.decode(Int64.self) { self = .integer(i) }
        else if let d = try? container.decode(Double.self) { self = .float(d) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([JSONScalar].self) { self = .array(a) }
        else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "option values must be strings, numbers, booleans or arrays")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .integer(let i): try container.encode(i)
        case .bool(let b): try container.encode(b)
        case .float(let d): try container.encode(d)
        case .array(let a): try container.encode(a)
        }
    }

    /// Parses a `--option KEY=VALUE` value: `true`/`false`, integers, else a string.
    public static func parse(_ text: String) -> JSONScalar {
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        if let i = Int64(text) { return .integer(i) }
        return .string(text)
    }

    var configValue: ConfigValue {
        switch self {
        case .string(let s): return .string(s)
        case .integer(let i): return .integer(i)
        case .bool(let b): return .bool(b)
        case .float(let d): return .float(d)
        case .array(let a): return .array(a.map(\.configValue))
        }
    }
}
