/// A Kubernetes label selector: parsed from its string form (`--node-selector`, a list's
/// `labelSelector`), e.g. `node-role.kubernetes.io/wasm=true,tier in (edge,gpu),!legacy`, matched
/// against labels, and built as a string for requests (`LabelSelector.equals(["a": "b"])` → `a=b`).
///
/// One implementation for the operator's flag, the client's requests and the fake API server.
public struct LabelSelector: Sendable, Equatable, CustomStringConvertible {
    public enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case `in`(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let selector: String
        public let reason: String
        public var description: String { "invalid label selector \"\(selector)\": \(reason)" }
    }

    public let requirements: [Requirement]
    /// The text it was parsed from.
    public let description: String

    /// Selects everything (no requirements).
    public static let everything = LabelSelector(requirements: [], description: "")

    private init(requirements: [Requirement], description: String) {
        self.requirements = requirements
        self.description = description
    }

    /// Parses `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma-separated and all
    /// required; keys are qualified names, values label values. (`gt`/`lt` are not supported.)
    public init(parsing text: String) throws(ParseError) {
        description = text
        var requirements: [Requirement] = []
        for part in Self.splitTopLevel(text) {
            let term = part.trimmingWhitespace()
            if term.isEmpty { throw ParseError(selector: text, reason: "empty requirement") }
            requirements.append(try Self.parseTerm(term, selector: text))
        }
        if requirements.isEmpty { throw ParseError(selector: text, reason: "no requirements") }
        self.requirements = requirements
    }

    public func matches(_ labels: [String: String]) -> Bool {
        matches { labels[$0] }
    }

    /// Matches labels kept in another form (e.g. JSON), read one key at a time without copying.
    public func matches(label value: (_ key: String) -> String?) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let expected): return value(key) == expected
            case .notEquals(let key, let expected): return value(key) != expected
            case .in(let key, let values): return value(key).map(values.contains) ?? false
            case .notIn(let key, let values): return value(key).map { !values.contains($0) } ?? true
            case .exists(let key): return value(key) != nil
            case .doesNotExist(let key): return value(key) == nil
            }
        }
    }

    /// Splits on commas that are not inside `( … )`.
    private static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1; current.append(character)
            case ")": depth -= 1; current.append(character)
            case "," where depth == 0: parts.append(current); current = ""
            default: current.append(character)
            }
        }
        parts.append(current)
        return parts
    }

    private static func parseTerm(_ term: String, selector: String) throws(ParseError) -> Requirement {
        func key(_ raw: Substring) throws(ParseError) -> String {
            let key = String(raw).trimmingWhitespace()
            guard isValidKey(key) else { throw ParseError(selector: selector, reason: "invalid key \"\(key)\"") }
            return key
        }
        func value(_ raw: Substring) throws(ParseError) -> String {
            let value = String(raw).trimmingWhitespace()
            guard isValidValue(value) else { throw ParseError(selector: selector, reason: "invalid value \"\(value)\"") }
            return value
        }
        if term.hasPrefix("!") {
            return .doesNotExist(try key(term.dropFirst()))
        }
        if let range = term.range(of: "!=") {
            return .notEquals(try key(term[..<range.lowerBound]), try value(term[range.upperBound...]))
        }
        if let range = term.range(of: "==") {
            return .equals(try key(term[..<range.lowerBound]), try value(term[range.upperBound...]))
        }
        if let range = term.range(of: "=") {
            return .equals(try key(term[..<range.lowerBound]), try value(term[range.upperBound...]))
        }
        let words = term.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        if words.count == 2 {
            let rest = String(words[1]).trimmingWhitespace()
            for (op, isIn) in [("notin", false), ("in", true)] where rest.hasPrefix(op) {
                let list = String(rest.dropFirst(op.count)).trimmingWhitespace()
                guard list.hasPrefix("("), list.hasSuffix(")") else {
                    throw ParseError(selector: selector, reason: "expected a parenthesised list after \(op)")
                }
                var values = Set<String>()
                for item in list.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false) {
                    values.insert(try value(item))
                }
                let k = try key(words[0])
                return isIn ? .in(k, values) : .notIn(k, values)
            }
            throw ParseError(selector: selector, reason: "unknown operator in \"\(term)\"")
        }
        return .exists(try key(Substring(term)))
    }

    static func isValidKey(_ key: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.last else { return false }
        if parts.count == 2 {
            let prefix = parts[0]
            guard !prefix.isEmpty, prefix.count <= 253,
                  prefix.allSatisfy({ $0.isLowercaseASCIIAlphanumeric || $0 == "-" || $0 == "." }) else { return false }
        }
        return !name.isEmpty && name.count <= 63 && isQualifiedNamePart(name)
    }

    static func isValidValue(_ value: String) -> Bool {
        value.isEmpty || (value.count <= 63 && isQualifiedNamePart(Substring(value)))
    }

    private static func isQualifiedNamePart(_ text: Substring) -> Bool {
        guard let first = text.first, let last = text.last,
              first.isASCIIAlphanumeric, last.isASCIIAlphanumeric else { return false }
        return text.allSatisfy { $0.isASCIIAlphanumeric || $0 == "-" || $0 == "_" || $0 == "." }
    }
}


// MARK: - Building selector strings for requests

extension LabelSelector {
    /// `k1=v1,k2=v2`, keys sorted for stable output.
    public static func equals(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// `key` (the label exists).
    public static func exists(_ key: String) -> String { key }

    /// `!key` (the label does not exist).
    public static func notExists(_ key: String) -> String { "!\(key)" }

    /// `key in (v1,v2)`.
    public static func `in`(_ key: String, _ values: [String]) -> String {
        "\(key) in (\(values.joined(separator: ",")))"
    }

    /// Joins requirements with `,` (logical AND), skipping empty ones.
    public static func all(_ requirements: String...) -> String {
        requirements.filter { !$0.isEmpty }.joined(separator: ",")
    }
}

extension Character {
    fileprivate var isASCIIAlphanumeric: Bool { isASCII && (isLetter || isNumber) }
    fileprivate var isLowercaseASCIIAlphanumeric: Bool { isASCII && (isLowercase || isNumber) }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
