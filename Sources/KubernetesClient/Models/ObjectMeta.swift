/// `metav1.ObjectMeta`. Every field is optional so that partial objects (bookmarks, patches) decode.
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: Time?
    public var deletionTimestamp: Time?
    public var deletionGracePeriodSeconds: Int64?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?

    public init(
        name: String? = nil, generateName: String? = nil, namespace: String? = nil, uid: String? = nil,
        resourceVersion: String? = nil, generation: Int64? = nil, creationTimestamp: Time? = nil,
        deletionTimestamp: Time? = nil, deletionGracePeriodSeconds: Int64? = nil, labels: [String: String]? = nil,
        annotations: [String: String]? = nil, ownerReferences: [OwnerReference]? = nil, finalizers: [String]? = nil
    ) {
        self.name = name
        self.generateName = generateName
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.creationTimestamp = creationTimestamp
        self.deletionTimestamp = deletionTimestamp
        self.deletionGracePeriodSeconds = deletionGracePeriodSeconds
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
        self.finalizers = finalizers
    }
}

/// `metav1.OwnerReference`.
public struct OwnerReference: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(
        apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil,
        blockOwnerDeletion: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// `metav1.ListMeta`.
public struct ListMeta: Codable, Sendable, Hashable {
    public var resourceVersion: String?
    /// The `continue` token for the next page; `nil` or empty on the last page.
    public var continueToken: String?
    public var remainingItemCount: Int64?

    public init(resourceVersion: String? = nil, continueToken: String? = nil, remainingItemCount: Int64? = nil) {
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
        self.remainingItemCount = remainingItemCount
    }

    enum CodingKeys: String, CodingKey {
        case resourceVersion
        case continueToken = "continue"
        case remainingItemCount
    }
}

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
