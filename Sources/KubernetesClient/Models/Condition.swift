/// `metav1.Condition`, the standard condition of custom resources such as ``WasmNodeStatus``.
public struct Condition: Codable, Sendable, Hashable {
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    public var observedGeneration: Int64?
    public var lastTransitionTime: Time
    /// CamelCase reason; required (non-empty) by the API server.
    public var reason: String
    public var message: String

    public init(
        type: String, status: String, observedGeneration: Int64? = nil, lastTransitionTime: Time = .now(),
        reason: String, message: String = ""
    ) {
        self.type = type
        self.status = status
        self.observedGeneration = observedGeneration
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }

    public static let statusTrue = "True"
    public static let statusFalse = "False"
    public static let statusUnknown = "Unknown"
}

extension Array where Element == Condition {
    /// The condition of the given type, if present.
    public subscript(type type: String) -> Condition? {
        first { $0.type == type }
    }

    /// Sets a condition the way `meta.SetStatusCondition` does: `lastTransitionTime` changes only
    /// when `status` changes. Returns whether anything changed.
    @discardableResult
    public mutating func set(_ condition: Condition) -> Bool {
        guard let index = firstIndex(where: { $0.type == condition.type }) else {
            append(condition)
            return true
        }
        var updated = condition
        if self[index].status == condition.status {
            updated.lastTransitionTime = self[index].lastTransitionTime
        }
        guard self[index] != updated else { return false }
        self[index] = updated
        return true
    }
}
