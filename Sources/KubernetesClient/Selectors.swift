/// Options of a list request.
public struct ListOptions: Sendable, Hashable {
    /// e.g. `kwasm.sh/kwasm-node=true,app in (a,b)`; see ``LabelSelector``.
    public var labelSelector: String?
    /// e.g. `metadata.name=node-1`.
    public var fieldSelector: String?
    /// Page size; `nil` lets the server decide (everything).
    public var limit: Int?
    public var continueToken: String?
    /// `nil`: most recent (quorum read); `"0"`: any cached version.
    public var resourceVersion: String?
    public var resourceVersionMatch: String?

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil,
        resourceVersion: String? = nil, resourceVersionMatch: String? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let limit { items.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { items.append(("continue", continueToken)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if let resourceVersionMatch { items.append(("resourceVersionMatch", resourceVersionMatch)) }
        return items
    }
}

/// Options of a watch request.
public struct WatchOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Start after this version (normally the list's `metadata.resourceVersion`).
    public var resourceVersion: String?
    public var allowBookmarks: Bool
    /// Server-side timeout; the server ends the stream cleanly after it. client-go uses 5–10 min, jittered.
    public var timeoutSeconds: Int?
    /// Largest single event accepted; a larger one fails the stream with `eventTooLarge`.
    public var maxEventBytes: Int

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, resourceVersion: String? = nil,
        allowBookmarks: Bool = true, timeoutSeconds: Int? = 300, maxEventBytes: Int = 16 * 1024 * 1024
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowBookmarks = allowBookmarks
        self.timeoutSeconds = timeoutSeconds
        self.maxEventBytes = maxEventBytes
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = [("watch", "true")]
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if allowBookmarks { items.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { items.append(("timeoutSeconds", String(timeoutSeconds))) }
        return items
    }
}

/// Builds label selector strings: `LabelSelector.equals(["a": "b"])` → `a=b`.
public enum LabelSelector {
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

/// Builds field selector strings, e.g. `FieldSelector.equals("metadata.name", "node-1")`.
public enum FieldSelector {
    public static func equals(_ field: String, _ value: String) -> String { "\(field)=\(value)" }
    public static func notEquals(_ field: String, _ value: String) -> String { "\(field)!=\(value)" }
}

/// What happens to dependents when an object is deleted.
public enum PropagationPolicy: String, Sendable, Hashable {
    case orphan = "Orphan"
    case background = "Background"
    case foreground = "Foreground"
}

/// Options of a delete request.
public struct DeleteOptions: Sendable, Hashable {
    public var propagationPolicy: PropagationPolicy?
    public var gracePeriodSeconds: Int64?
    /// Delete only if the object still has this UID (guards against deleting a recreated object).
    public var preconditionUID: String?
    /// Delete only if the object still has this resourceVersion.
    public var preconditionResourceVersion: String?

    public init(
        propagationPolicy: PropagationPolicy? = nil, gracePeriodSeconds: Int64? = nil, preconditionUID: String? = nil,
        preconditionResourceVersion: String? = nil
    ) {
        self.propagationPolicy = propagationPolicy
        self.gracePeriodSeconds = gracePeriodSeconds
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
    }

    var body: JSONValue {
        var object: [String: JSONValue] = ["apiVersion": "v1", "kind": "DeleteOptions"]
        if let propagationPolicy { object["propagationPolicy"] = .string(propagationPolicy.rawValue) }
        if let gracePeriodSeconds { object["gracePeriodSeconds"] = .int(gracePeriodSeconds) }
        var preconditions: [String: JSONValue] = [:]
        if let preconditionUID { preconditions["uid"] = .string(preconditionUID) }
        if let preconditionResourceVersion { preconditions["resourceVersion"] = .string(preconditionResourceVersion) }
        if !preconditions.isEmpty { object["preconditions"] = .object(preconditions) }
        return .object(object)
    }
}
