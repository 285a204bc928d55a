import Foundation

/// An HTTP request as the fake receives it (body fully read).
struct HTTPRequest: Sendable {
    var method: String
    var uri: String
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// How the HTTP layer answers.
enum HTTPAnswer: Sendable {
    case response(status: Int, headers: [(String, String)], body: [UInt8])
    /// A chunked watch stream; ends after `timeout` when given.
    case watch(stream: AsyncStream<[UInt8]>, timeout: Duration?, cancel: @Sendable () -> Void)
    case hang
    case closeConnection

    static func json(_ status: Int, _ body: JSONValue, headers: [(String, String)] = []) -> HTTPAnswer {
        .response(status: status, headers: [("Content-Type", "application/json")] + headers, body: body.serialized())
    }

    static func error(_ error: APIError) -> HTTPAnswer {
        var headers: [(String, String)] = []
        if let retry = error.retryAfterSeconds { headers.append(("Retry-After", String(retry))) }
        return .json(error.code, error.status, headers: headers)
    }
}

/// A request path taken apart the way the real apiserver's RequestInfoFactory does.
struct ResourcePath: Sendable {
    var group: String
    var version: String
    var plural: String
    var namespace: String?
    var name: String?
    var subresource: String?
    /// Legacy `/api/v1/watch/...` form.
    var legacyWatch = false

    /// Parses `/api/v1/...` and `/apis/GROUP/VERSION/...`; nil for anything else.
    init?(path: String) {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map {
            String($0).removingPercentEncoding ?? String($0)
        }
        guard let first = parts.first else { return nil }
        if first == "api", parts.count >= 3 {
            group = ""
            version = parts[1]
            parts.removeFirst(2)
        } else if first == "apis", parts.count >= 4 {
            group = parts[1]
            version = parts[2]
            parts.removeFirst(3)
        } else {
            return nil
        }
        if parts.first == "watch" {
            legacyWatch = true
            parts.removeFirst()
        }
        guard !parts.isEmpty else { return nil }
        if parts[0] == "namespaces", parts.count >= 3, parts[2] != "status", parts[2] != "finalize" {
            namespace = parts[1]
            parts.removeFirst(2)
        }
        plural = parts[0]
        if parts.count >= 2 { name = parts[1] }
        if parts.count >= 3 { subresource = parts[2] }
        if parts.count > 3 { return nil }
    }

    /// Kubernetes verb for an HTTP method on this path.
    func verb(method: String, watch: Bool) -> String {
        switch method {
        case "GET", "HEAD": return watch || legacyWatch ? "watch" : (name == nil ? "list" : "get")
        case "POST": return "create"
        case "PUT": return "update"
        case "PATCH": return "patch"
        case "DELETE": return name == nil ? "deletecollection" : "delete"
        default: return method.lowercased()
        }
    }
}

/// Query string parameters.
struct QueryParameters: Sendable {
    private var values: [String: String] = [:]

    init(_ query: String) {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(String(parts[0]))
            values[key] = parts.count > 1 ? Self.decode(String(parts[1])) : ""
        }
    }

    private static func decode(_ s: String) -> String {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? s
    }

    subscript(_ key: String) -> String? { values[key] }

    func flag(_ key: String) -> Bool {
        guard let value = values[key] else { return false }
        return value == "true" || value == "1" || value.isEmpty
    }
}
