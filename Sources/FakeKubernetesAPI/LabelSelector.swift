import Foundation

/// A parsed `labelSelector` query: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
/// comma-separated and all required. (`gt`/`lt` are not supported.)
struct LabelSelector: Sendable {
    enum Requirement: Sendable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    var requirements: [Requirement]

    static let everything = LabelSelector(requirements: [])

    init(requirements: [Requirement]) { self.requirements = requirements }

    /// Parses the query text; throws 400 BadRequest like the real server.
    init(parsing text: String) throws(APIError) {
        var requirements: [Requirement] = []
        for clause in Self.splitTopLevel(text) {
            let part = clause.trimmingCharacters(in: .whitespaces)
            if part.isEmpty { continue }
            requirements.append(try Self.parseRequirement(part, whole: text))
        }
        self.requirements = requirements
    }

    func matches(_ labels: [String: JSONValue]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let k, let v): return labels[k]?.stringValue == v
            case .notEquals(let k, let v): return labels[k]?.stringValue != v
            case .isIn(let k, let values): return labels[k]?.stringValue.map(values.contains) ?? false
            case .notIn(let k, let values): return !(labels[k]?.stringValue.map(values.contains) ?? false)
            case .exists(let k): return labels[k] != nil
            case .doesNotExist(let k): return labels[k] == nil
            }
        }
    }

    func matches(object: JSONValue) -> Bool {
        if requirements.isEmpty { return true }
        return matches(object["metadata"]?["labels"]?.objectValue ?? [:])
    }

    /// Splits on commas that are not inside parentheses.
    private static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for ch in text {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1 }
            if ch == ",", depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        parts.append(current)
        return parts
    }

    private static func parseRequirement(_ part: String, whole: String) throws(APIError) -> Requirement {
        func bad(_ why: String) -> APIError {
            .badRequest("unable to parse requirement: \(why) in selector \"\(whole)\"")
        }
        func checkKey(_ key: String) throws(APIError) -> String {
            let k = key.trimmingCharacters(in: .whitespaces)
            if let problem = ObjectValidation.qualifiedNameProblem(k) { throw bad("invalid label key \"\(k)\": \(problem)") }
            return k
        }
        func checkValue(_ value: String) throws(APIError) -> String {
            let v = value.trimmingCharacters(in: .whitespaces)
            if let problem = ObjectValidation.labelValueProblem(v) { throw bad("invalid label value: \"\(v)\": \(problem)") }
            return v
        }
        func parseSet(_ rest: String) throws(APIError) -> Set<String> {
            let trimmed = rest.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("("), trimmed.hasSuffix(")") else { throw bad("expected a parenthesised set") }
            let inner = trimmed.dropFirst().dropLast()
            var values = Set<String>()
            for v in inner.split(separator: ",", omittingEmptySubsequences: false) {
                values.insert(try checkValue(String(v)))
            }
            return values
        }
        if part.hasPrefix("!") {
            return .doesNotExist(try checkKey(String(part.dropFirst())))
        }
        if let range = part.range(of: "!=") {
            return .notEquals(try checkKey(String(part[..<range.lowerBound])), try checkValue(String(part[range.upperBound...])))
        }
        if let range = part.range(of: "==") {
            return .equals(try checkKey(String(part[..<range.lowerBound])), try checkValue(String(part[range.upperBound...])))
        }
        if let range = part.range(of: "=") {
            return .equals(try checkKey(String(part[..<range.lowerBound])), try checkValue(String(part[range.upperBound...])))
        }
        let words = part.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        if words.count == 1 {
            return .exists(try checkKey(part))
        }
        let key = try checkKey(String(words[0]))
        let rest = words[1].trimmingCharacters(in: .whitespaces)
        if rest.hasPrefix("notin") {
            return .notIn(key, try parseSet(String(rest.dropFirst("notin".count))))
        }
        if rest.hasPrefix("in") {
            return .isIn(key, try parseSet(String(rest.dropFirst("in".count))))
        }
        throw bad("unknown operator \"\(rest)\"")
    }
}
