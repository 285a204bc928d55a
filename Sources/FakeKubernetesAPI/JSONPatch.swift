import Foundation

/// JSON patch (RFC 6902: add, remove, replace, move, copy, test) with JSON pointers (RFC 6901).
/// A failed `test` or a path that does not exist makes the whole patch fail, as on the real server.
enum JSONPatch {
    struct Failure: Error {
        var message: String
    }

    static func apply(_ patch: JSONValue, to document: JSONValue) throws(Failure) -> JSONValue {
        guard let operations = patch.arrayValue else { throw Failure(message: "a JSON patch must be an array") }
        var result = document
        for operation in operations {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw Failure(message: "every operation needs \"op\" and \"path\"")
            }
            let tokens = try pointer(path)
            switch op {
            case "add":
                guard let value = operation["value"] else { throw Failure(message: "add needs a value") }
                result = try add(value, at: tokens, in: result)
            case "remove":
                result = try remove(at: tokens, in: result).document
            case "replace":
                guard let value = operation["value"] else { throw Failure(message: "replace needs a value") }
                result = try add(value, at: tokens, in: try remove(at: tokens, in: result).document)
            case "move", "copy":
                guard let from = operation["from"]?.stringValue else { throw Failure(message: "\(op) needs from") }
                let fromTokens = try pointer(from)
                guard let value = get(fromTokens, in: result) else { throw Failure(message: "missing path \(from)") }
                if op == "move" { result = try remove(at: fromTokens, in: result).document }
                result = try add(value, at: tokens, in: result)
            case "test":
                guard get(tokens, in: result) == operation["value"] else {
                    throw Failure(message: "testing value \(path) failed")
                }
            default:
                throw Failure(message: "unknown operation \(op)")
            }
        }
        return result
    }

    private static func pointer(_ path: String) throws(Failure) -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw Failure(message: "invalid JSON pointer \(path)") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func get(_ tokens: [String], in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let elements):
                guard let index = Int(token), elements.indices.contains(index) else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    private static func add(_ value: JSONValue, at tokens: [String], in document: JSONValue) throws(Failure) -> JSONValue {
        guard let token = tokens.first else { return value }
        let rest = Array(tokens.dropFirst())
        switch document {
        case .object(var members):
            if rest.isEmpty {
                members[token] = value
            } else {
                guard let child = members[token] else { throw Failure(message: "missing path /\(tokens.joined(separator: "/"))") }
                members[token] = try add(value, at: rest, in: child)
            }
            return .object(members)
        case .array(var elements):
            let index = token == "-" ? elements.count : Int(token) ?? -1
            if rest.isEmpty {
                guard index >= 0, index <= elements.count else { throw Failure(message: "index \(token) out of range") }
                elements.insert(value, at: index)
            } else {
                guard elements.indices.contains(index) else { throw Failure(message: "index \(token) out of range") }
                elements[index] = try add(value, at: rest, in: elements[index])
            }
            return .array(elements)
        default:
            throw Failure(message: "cannot add below a scalar at \(token)")
        }
    }

    private static func remove(at tokens: [String], in document: JSONValue) throws(Failure) -> (document: JSONValue, removed: JSONValue) {
        guard let token = tokens.first else { throw Failure(message: "cannot remove the whole document") }
        let rest = Array(tokens.dropFirst())
        switch document {
        case .object(var members):
            guard let child = members[token] else { throw Failure(message: "missing path \(token)") }
            if rest.isEmpty {
                members.removeValue(forKey: token)
                return (.object(members), child)
            }
            let (updated, removed) = try remove(at: rest, in: child)
            members[token] = updated
            return (.object(members), removed)
        case .array(var elements):
            guard let index = Int(token), elements.indices.contains(index) else {
                throw Failure(message: "index \(token) out of range")
            }
            if rest.isEmpty {
                let removed = elements.remove(at: index)
                return (.array(elements), removed)
            }
            let (updated, removed) = try remove(at: rest, in: elements[index])
            elements[index] = updated
            return (.array(elements), removed)
        default:
            throw Failure(message: "cannot remove below a scalar at \(token)")
        }
    }
}
