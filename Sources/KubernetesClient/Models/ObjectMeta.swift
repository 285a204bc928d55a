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
