import Foundation

/// A parsed `fieldSelector` query: `field=value`, `field==value`, `field!=value`, comma-separated.
/// Only the fields the kind declares are accepted (400 otherwise, like the real server).
struct FieldSelector: Sendable {
    struct Requirement: Sendable {
        var path: [String]
        var value: String
        var negated: Bool
    }

    var requirements: [Requirement]

    static let everything = FieldSelector(requirements: [])

    init(requirements: [Requirement]) { self.requirements = requirements }

    init(parsing text: String, resource: ResourceDescriptor) throws(APIError) {
        var requirements: [Requirement] = []
        for clause in text.split(separator: ",") {
            let part = clause.trimmingCharacters(in: .whitespaces)
            if part.isEmpty { continue }
            let field: String
            let value: String
            let negated: Bool
            if let r = part.range(of: "!=") {
                (field, value, negated) = (String(part[..<r.lowerBound]), String(part[r.upperBound...]), true)
            } else if let r = part.range(of: "==") {
                (field, value, negated) = (String(part[..<r.lowerBound]), String(part[r.upperBound...]), false)
            } else if let r = part.range(of: "=") {
                (field, value, negated) = (String(part[..<r.lowerBound]), String(part[r.upperBound...]), false)
            } else {
                throw .badRequest("invalid selector: '\(text)'; can't understand '\(part)'")
            }
            let key = field.trimmingCharacters(in: .whitespaces)
            guard resource.fieldSelectors.contains(key) else {
                throw .badRequest("field label not supported: \(key)")
            }
            requirements.append(
                Requirement(
                    path: key.split(separator: ".").map(String.init), value: value.trimmingCharacters(in: .whitespaces),
                    negated: negated))
        }
        self.requirements = requirements
    }

    func matches(object: JSONValue) -> Bool {
        requirements.allSatisfy { requirement in
            let actual: String
            switch object.value(at: requirement.path) {
            case .string(let s): actual = s
            case .bool(let b): actual = b ? "true" : "false"
            case .int(let i): actual = String(i)
            case .none, .null: actual = ""
            case .some(let other): actual = other.jsonString
            }
            return (actual == requirement.value) != requirement.negated
        }
    }
}
