/// A failure answered as a `metav1.Status` (kind Status, status Failure), exactly as the real
/// apiserver shapes it. Also thrown by the in-process API.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One entry of `details.causes`.
    public struct Cause: Sendable, Equatable {
        public var reason: String
        public var message: String
        public var field: String
    }

    public var code: Int
    public var reason: String
    public var message: String
    public var name: String?
    public var group: String?
    public var kind: String?
    public var causes: [Cause]
    /// Seconds for `Retry-After` and `details.retryAfterSeconds`.
    public var retryAfterSeconds: Int?

    public init(
        code: Int, reason: String, message: String, name: String? = nil, group: String? = nil, kind: String? = nil,
        causes: [Cause] = [], retryAfterSeconds: Int? = nil
    ) {
        self.code = code
        self.reason = reason
        self.message = message
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(code) \(reason): \(message)" }

    /// The `metav1.Status` body.
    public var status: JSONValue {
        var body: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "code": .int(Int64(code)),
        ]
        if !reason.isEmpty { body["reason"] = .string(reason) }
        var details: [String: JSONValue] = [:]
        if let name { details["name"] = .string(name) }
        if let group { details["group"] = .string(group) }
        if let kind { details["kind"] = .string(kind) }
        if !causes.isEmpty {
            details["causes"] = .array(
                causes.map { ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)] })
        }
        if let retryAfterSeconds { details["retryAfterSeconds"] = .int(Int64(retryAfterSeconds)) }
        if !details.isEmpty { body["details"] = .object(details) }
        return body
    }

    // MARK: The reasons the real server uses

    static func notFound(_ resource: ResourceDescriptor, _ name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(resource.qualifiedResource) \"\(name)\" not found", name: name,
            group: resource.group, kind: resource.plural)
    }

    static func alreadyExists(_ resource: ResourceDescriptor, _ name: String) -> APIError {
        APIError(
            code: 409, reason: "AlreadyExists", message: "\(resource.qualifiedResource) \"\(name)\" already exists",
            name: name, group: resource.group, kind: resource.plural)
    }

    static func conflict(_ resource: ResourceDescriptor, _ name: String, _ why: String = defaultConflictReason)
        -> APIError
    {
        APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(resource.qualifiedResource) \"\(name)\": \(why)",
            name: name, group: resource.group, kind: resource.plural)
    }

    static let defaultConflictReason =
        "the object has been modified; please apply your changes to the latest version and try again"

    static func invalid(_ resource: ResourceDescriptor, _ name: String, _ causes: [Cause]) -> APIError {
        let summary = causes.map { "\($0.field): \($0.message)" }.joined(separator: ", ")
        return APIError(
            code: 422, reason: "Invalid", message: "\(resource.kind) \"\(name)\" is invalid: \(summary)", name: name,
            group: resource.group, kind: resource.kind, causes: causes)
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    static func methodNotAllowed(_ message: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: message)
    }

    static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got \(contentType))")
    }

    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    static func pathNotFound(_ path: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource (\(path))")
    }

    static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }

    static func tooManyRequests(retryAfterSeconds: Int) -> APIError {
        APIError(
            code: 429, reason: "TooManyRequests", message: "Too many requests, please try again later.",
            retryAfterSeconds: retryAfterSeconds)
    }

    static func timeout(_ message: String) -> APIError {
        APIError(code: 504, reason: "Timeout", message: message)
    }

    static func invalidCause(_ field: String, _ message: String, reason: String = "FieldValueInvalid") -> Cause {
        Cause(reason: reason, message: message, field: field)
    }
}
