/// `v1.ObjectReference` (used by events.k8s.io Events as `regarding` / `related`).
public struct ObjectReference: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var name: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var fieldPath: String?

    public init(
        apiVersion: String? = nil, kind: String? = nil, name: String? = nil, namespace: String? = nil,
        uid: String? = nil, resourceVersion: String? = nil, fieldPath: String? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.fieldPath = fieldPath
    }
}

extension KubernetesResource {
    /// An `ObjectReference` to this object, e.g. for an Event's `regarding`.
    public var objectReference: ObjectReference {
        ObjectReference(
            apiVersion: Self.resource.apiVersion, kind: Self.resource.kind, name: metadata.name,
            namespace: metadata.namespace, uid: metadata.uid, resourceVersion: metadata.resourceVersion)
    }
}
