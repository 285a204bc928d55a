/// Describes one kind the fake API server serves (what a CRD or a built-in registration says).
public struct ResourceDescriptor: Sendable, Hashable {
    /// How `metadata.name` is validated on create.
    public enum NameRule: Sendable, Hashable {
        /// DNS-1123 subdomain: ≤ 253 characters, lowercase alphanumerics, `-` and `.`.
        case subdomain
        /// DNS-1123 label: ≤ 63 characters, lowercase alphanumerics and `-` (e.g. namespaces).
        case label
        /// DNS-1123 subdomain of at most 63 characters (Jobs: the name becomes a label value).
        case subdomainOf63
    }

    /// API group; empty for the core group (`/api/v1`).
    public var group: String
    public var version: String
    /// Resource name in URLs, e.g. `pods`.
    public var plural: String
    public var kind: String
    public var namespaced: Bool
    /// Whether the kind has a `/status` subresource (status and spec are then written separately).
    public var hasStatusSubresource: Bool
    public var nameRule: NameRule
    /// Field selector keys the kind supports besides `metadata.name` and `metadata.namespace`.
    public var extraFieldSelectors: Set<String>
    public var shortNames: [String]

    public init(
        group: String, version: String, plural: String, kind: String, namespaced: Bool,
        hasStatusSubresource: Bool, nameRule: NameRule = .subdomain, extraFieldSelectors: Set<String> = [],
        shortNames: [String] = []
    ) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.hasStatusSubresource = hasStatusSubresource
        self.nameRule = nameRule
        self.extraFieldSelectors = extraFieldSelectors
        self.shortNames = shortNames
    }

    /// `v1` or `GROUP/VERSION`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var listKind: String { kind + "List" }
    /// `plural` or `plural.group`, as the real server names resources in messages.
    public var qualifiedResource: String { group.isEmpty ? plural : "\(plural).\(group)" }
    var id: ResourceID { ResourceID(group: group, plural: plural) }

    /// All field selector keys this kind accepts.
    public var fieldSelectors: Set<String> {
        extraFieldSelectors.union(["metadata.name", "metadata.namespace"])
    }

    // MARK: Built-in registrations

    public static let namespaces = ResourceDescriptor(
        group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false,
        hasStatusSubresource: true, nameRule: .label, extraFieldSelectors: ["status.phase"], shortNames: ["ns"])
    public static let nodes = ResourceDescriptor(
        group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false,
        hasStatusSubresource: true, extraFieldSelectors: ["spec.unschedulable"], shortNames: ["no"])
    public static let pods = ResourceDescriptor(
        group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true, hasStatusSubresource: true,
        extraFieldSelectors: [
            "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
        ], shortNames: ["po"])
    public static let coreEvents = ResourceDescriptor(
        group: "", version: "v1", plural: "events", kind: "Event", namespaced: true, hasStatusSubresource: false,
        extraFieldSelectors: [
            "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
            "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
            "reason", "reportingComponent", "source", "type",
        ], shortNames: ["ev"])
    public static let jobs = ResourceDescriptor(
        group: "batch", version: "v1", plural: "jobs", kind: "Job", namespaced: true, hasStatusSubresource: true,
        nameRule: .subdomainOf63, extraFieldSelectors: ["status.successful"])
    public static let runtimeClasses = ResourceDescriptor(
        group: "node.k8s.io", version: "v1", plural: "runtimeclasses", kind: "RuntimeClass", namespaced: false,
        hasStatusSubresource: false)
    public static let leases = ResourceDescriptor(
        group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", namespaced: true,
        hasStatusSubresource: false)
    public static let events = ResourceDescriptor(
        group: "events.k8s.io", version: "v1", plural: "events", kind: "Event", namespaced: true,
        hasStatusSubresource: false,
        extraFieldSelectors: [
            "regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid", "regarding.apiVersion",
            "reason", "reportingController", "type",
        ], shortNames: ["ev"])
    public static let wasmNodeStatuses = ResourceDescriptor(
        group: "kwasm.sh", version: "v1alpha1", plural: "wasmnodestatuses", kind: "WasmNodeStatus",
        namespaced: false, hasStatusSubresource: true, shortNames: ["wns"])

    /// What a fresh fake server serves.
    public static let defaults: [ResourceDescriptor] = [
        .namespaces, .nodes, .pods, .coreEvents, .jobs, .runtimeClasses, .leases, .events, .wasmNodeStatuses,
    ]
}

/// Identity of a resource in the store (one served version per group and plural).
struct ResourceID: Hashable, Sendable {
    var group: String
    var plural: String
}
