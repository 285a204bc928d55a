import KubernetesClient

/// Identifies one object of a kind: `namespace/name`, or just `name` for cluster-scoped kinds.
public struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// `nil` for cluster-scoped objects.
    public var namespace: String?
    public var name: String

    public init(namespace: String? = nil, name: String) {
        self.namespace = namespace?.isEmpty == true ? nil : namespace
        self.name = name
    }

    /// The key of an object (its `metadata.namespace` and `metadata.name`).
    public init<Object: KubernetesResource>(_ object: Object) {
        self.init(namespace: object.metadata.namespace, name: object.metadata.name ?? "")
    }

    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace ?? "", lhs.name) < (rhs.namespace ?? "", rhs.name)
    }
}
