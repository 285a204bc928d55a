/// A core `v1` Node. The operator only reads and merge-patches Nodes (it does not own them).
public struct Node: KubernetesResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false, hasStatus: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public init(metadata: ObjectMeta, spec: Spec? = nil, status: Status? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// `v1.NodeSpec` (the parts schedulers and installers care about).
    public struct Spec: Codable, Sendable, Hashable {
        public var podCIDR: String?
        public var providerID: String?
        public var unschedulable: Bool?
        public var taints: [Taint]?

        public init(podCIDR: String? = nil, providerID: String? = nil, unschedulable: Bool? = nil, taints: [Taint]? = nil) {
            self.podCIDR = podCIDR
            self.providerID = providerID
            self.unschedulable = unschedulable
            self.taints = taints
        }
    }

    /// `v1.NodeStatus`.
    public struct Status: Codable, Sendable, Hashable {
        public var nodeInfo: NodeInfo?
        public var conditions: [NodeCondition]?
        public var addresses: [Address]?
        public var capacity: [String: String]?
        public var allocatable: [String: String]?
        /// Runtime handlers the kubelet reported from the CRI (Kubernetes 1.30+).
        public var runtimeHandlers: [RuntimeHandler]?

        public init(
            nodeInfo: NodeInfo? = nil, conditions: [NodeCondition]? = nil, addresses: [Address]? = nil,
            capacity: [String: String]? = nil, allocatable: [String: String]? = nil,
            runtimeHandlers: [RuntimeHandler]? = nil
        ) {
            self.nodeInfo = nodeInfo
            self.conditions = conditions
            self.addresses = addresses
            self.capacity = capacity
            self.allocatable = allocatable
            self.runtimeHandlers = runtimeHandlers
        }
    }

    /// `v1.NodeSystemInfo`.
    public struct NodeInfo: Codable, Sendable, Hashable {
        public var machineID: String?
        public var systemUUID: String?
        public var bootID: String?
        public var kernelVersion: String?
        public var osImage: String?
        public var containerRuntimeVersion: String?
        public var kubeletVersion: String?
        public var kubeProxyVersion: String?
        public var operatingSystem: String?
        public var architecture: String?

        public init(
            machineID: String? = nil, systemUUID: String? = nil, bootID: String? = nil, kernelVersion: String? = nil,
            osImage: String? = nil, containerRuntimeVersion: String? = nil, kubeletVersion: String? = nil,
            kubeProxyVersion: String? = nil, operatingSystem: String? = nil, architecture: String? = nil
        ) {
            self.machineID = machineID
            self.systemUUID = systemUUID
            self.bootID = bootID
            self.kernelVersion = kernelVersion
            self.osImage = osImage
            self.containerRuntimeVersion = containerRuntimeVersion
            self.kubeletVersion = kubeletVersion
            self.kubeProxyVersion = kubeProxyVersion
            self.operatingSystem = operatingSystem
            self.architecture = architecture
        }
    }

    /// `v1.NodeCondition` (Ready, MemoryPressure, …).
    public struct NodeCondition: Codable, Sendable, Hashable {
        public var type: String
        public var status: String
        public var reason: String?
        public var message: String?
        public var lastHeartbeatTime: Time?
        public var lastTransitionTime: Time?

        public init(
            type: String, status: String, reason: String? = nil, message: String? = nil,
            lastHeartbeatTime: Time? = nil, lastTransitionTime: Time? = nil
        ) {
            self.type = type
            self.status = status
            self.reason = reason
            self.message = message
            self.lastHeartbeatTime = lastHeartbeatTime
            self.lastTransitionTime = lastTransitionTime
        }
    }

    /// `v1.NodeAddress`.
    public struct Address: Codable, Sendable, Hashable {
        public var type: String
        public var address: String

        public init(type: String, address: String) {
            self.type = type
            self.address = address
        }
    }

    /// `v1.NodeRuntimeHandler`: a handler the container runtime reports; the default handler has an empty name.
    public struct RuntimeHandler: Codable, Sendable, Hashable {
        public var name: String?
        public var features: Features?

        public init(name: String? = nil, features: Features? = nil) {
            self.name = name
            self.features = features
        }

        public struct Features: Codable, Sendable, Hashable {
            public var recursiveReadOnlyMounts: Bool?
            public var userNamespaces: Bool?

            public init(recursiveReadOnlyMounts: Bool? = nil, userNamespaces: Bool? = nil) {
                self.recursiveReadOnlyMounts = recursiveReadOnlyMounts
                self.userNamespaces = userNamespaces
            }
        }
    }
}

/// `v1.Taint`.
public struct Taint: Codable, Sendable, Hashable {
    public var key: String
    public var value: String?
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    public var effect: String
    public var timeAdded: Time?

    public init(key: String, value: String? = nil, effect: String, timeAdded: Time? = nil) {
        self.key = key
        self.value = value
        self.effect = effect
        self.timeAdded = timeAdded
    }
}
