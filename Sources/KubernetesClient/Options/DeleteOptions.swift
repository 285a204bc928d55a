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
