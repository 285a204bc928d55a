/// A `node.k8s.io/v1` RuntimeClass: one per enabled Wasm runtime; the operator owns these.
public struct RuntimeClass: KubernetesResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "node.k8s.io", version: "v1", plural: "runtimeclasses", kind: "RuntimeClass", namespaced: false,
        hasStatus: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// The CRI handler (containerd runtime name); immutable after creation.
    public var handler: String?
    public var scheduling: Scheduling?
    public var overhead: Overhead?

    public init(metadata: ObjectMeta, handler: String, scheduling: Scheduling? = nil, overhead: Overhead? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.handler = handler
        self.scheduling = scheduling
        self.overhead = overhead
    }

    /// `node.k8s.io/v1.Scheduling`: pods using this class get these node selectors and tolerations merged in.
    public struct Scheduling: Codable, Sendable, Hashable {
        public var nodeSelector: [String: String]?
        public var tolerations: [Toleration]?

        public init(nodeSelector: [String: String]? = nil, tolerations: [Toleration]? = nil) {
            self.nodeSelector = nodeSelector
            self.tolerations = tolerations
        }
    }

    /// `node.k8s.io/v1.Overhead`.
    public struct Overhead: Codable, Sendable, Hashable {
        public var podFixed: [String: String]?

        public init(podFixed: [String: String]? = nil) { self.podFixed = podFixed }
    }
}
