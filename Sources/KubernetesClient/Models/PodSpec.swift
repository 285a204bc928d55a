/// `v1.PodSpec` (the fields needed for a privileged, node-pinned installer pod).
public struct PodSpec: Codable, Sendable, Hashable {
    public var nodeName: String?
    public var nodeSelector: [String: String]?
    public var hostPID: Bool?
    public var hostNetwork: Bool?
    public var initContainers: [Container]?
    public var containers: [Container]
    public var volumes: [Volume]?
    public var tolerations: [Toleration]?
    /// `Always`, `OnFailure` or `Never` (Jobs require one of the latter two).
    public var restartPolicy: String?
    public var serviceAccountName: String?
    public var automountServiceAccountToken: Bool?
    public var priorityClassName: String?
    public var imagePullSecrets: [LocalObjectReference]?
    public var terminationGracePeriodSeconds: Int64?
    public var dnsPolicy: String?
    public var schedulerName: String?
    public var runtimeClassName: String?
    /// Pod affinity and anti-affinity rules, kept free-form.
    public var affinity: JSONValue?
    /// Pod-level security context, kept free-form.
    public var securityContext: JSONValue?

    public init(
        nodeName: String? = nil, nodeSelector: [String: String]? = nil, hostPID: Bool? = nil,
        hostNetwork: Bool? = nil, initContainers: [Container]? = nil, containers: [Container],
        volumes: [Volume]? = nil, tolerations: [Toleration]? = nil, restartPolicy: String? = nil,
        serviceAccountName: String? = nil, automountServiceAccountToken: Bool? = nil,
        priorityClassName: String? = nil, imagePullSecrets: [LocalObjectReference]? = nil,
        terminationGracePeriodSeconds: Int64? = nil, dnsPolicy: String? = nil, schedulerName: String? = nil,
        runtimeClassName: String? = nil, affinity: JSONValue? = nil, securityContext: JSONValue? = nil
    ) {
        self.nodeName = nodeName
        self.nodeSelector = nodeSelector
        self.hostPID = hostPID
        self.hostNetwork = hostNetwork
        self.initContainers = initContainers
        self.containers = containers
        self.volumes = volumes
        self.tolerations = tolerations
        self.restartPolicy = restartPolicy
        self.serviceAccountName = serviceAccountName
        self.automountServiceAccountToken = automountServiceAccountToken
        self.priorityClassName = priorityClassName
        self.imagePullSecrets = imagePullSecrets
        self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
        self.dnsPolicy = dnsPolicy
        self.schedulerName = schedulerName
        self.runtimeClassName = runtimeClassName
        self.affinity = affinity
        self.securityContext = securityContext
    }
}

/// `v1.PodTemplateSpec`.
public struct PodTemplateSpec: Codable, Sendable, Hashable {
    public var metadata: ObjectMeta?
    public var spec: PodSpec?

    public init(metadata: ObjectMeta? = nil, spec: PodSpec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// `v1.LocalObjectReference` (image pull secrets).
public struct LocalObjectReference: Codable, Sendable, Hashable {
    /// Optional in the API (`omitempty`), so optional here too.
    public var name: String?

    public init(name: String?) { self.name = name }
}
