/// A core `v1` Pod: read to find installer pods and their containers' termination messages.
public struct Pod: KubernetesResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true, hasStatus: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PodSpec?
    public var status: Status?

    public init(metadata: ObjectMeta, spec: PodSpec? = nil, status: Status? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, spec, status
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        metadata = try container.decode(ObjectMeta.self, forKey: .metadata)
        // A cache that reads only metadata and status skips the pod template (see WatchOptions.decodesSpec).
        spec = decoder.skipsSpec ? nil : try container.decodeIfPresent(PodSpec.self, forKey: .spec)
        status = try container.decodeIfPresent(Status.self, forKey: .status)
    }

    /// `v1.PodStatus`.
    public struct Status: Codable, Sendable, Hashable {
        /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
        public var phase: String?
        public var reason: String?
        public var message: String?
        public var hostIP: String?
        public var podIP: String?
        public var startTime: Time?
        public var conditions: [PodCondition]?
        public var initContainerStatuses: [ContainerStatus]?
        public var containerStatuses: [ContainerStatus]?

        public init(
            phase: String? = nil, reason: String? = nil, message: String? = nil, hostIP: String? = nil,
            podIP: String? = nil, startTime: Time? = nil, conditions: [PodCondition]? = nil,
            initContainerStatuses: [ContainerStatus]? = nil, containerStatuses: [ContainerStatus]? = nil
        ) {
            self.phase = phase
            self.reason = reason
            self.message = message
            self.hostIP = hostIP
            self.podIP = podIP
            self.startTime = startTime
            self.conditions = conditions
            self.initContainerStatuses = initContainerStatuses
            self.containerStatuses = containerStatuses
        }
    }

    /// `v1.PodCondition`.
    public struct PodCondition: Codable, Sendable, Hashable {
        public var type: String
        public var status: String
        public var reason: String?
        public var message: String?
        public var lastTransitionTime: Time?

        public init(type: String, status: String, reason: String? = nil, message: String? = nil, lastTransitionTime: Time? = nil) {
            self.type = type
            self.status = status
            self.reason = reason
            self.message = message
            self.lastTransitionTime = lastTransitionTime
        }
    }

    /// `v1.ContainerStatus`.
    public struct ContainerStatus: Codable, Sendable, Hashable {
        public var name: String
        public var ready: Bool?
        public var started: Bool?
        public var restartCount: Int?
        public var image: String?
        public var imageID: String?
        public var containerID: String?
        public var state: ContainerState?
        public var lastState: ContainerState?

        public init(
            name: String, ready: Bool? = nil, started: Bool? = nil, restartCount: Int? = nil, image: String? = nil,
            imageID: String? = nil, containerID: String? = nil, state: ContainerState? = nil,
            lastState: ContainerState? = nil
        ) {
            self.name = name
            self.ready = ready
            self.started = started
            self.restartCount = restartCount
            self.image = image
            self.imageID = imageID
            self.containerID = containerID
            self.state = state
            self.lastState = lastState
        }
    }

    /// `v1.ContainerState`: exactly one member is set.
    public struct ContainerState: Codable, Sendable, Hashable {
        public var waiting: Waiting?
        public var running: Running?
        public var terminated: Terminated?

        public init(waiting: Waiting? = nil, running: Running? = nil, terminated: Terminated? = nil) {
            self.waiting = waiting
            self.running = running
            self.terminated = terminated
        }

        public struct Waiting: Codable, Sendable, Hashable {
            public var reason: String?
            public var message: String?

            public init(reason: String? = nil, message: String? = nil) {
                self.reason = reason
                self.message = message
            }
        }

        public struct Running: Codable, Sendable, Hashable {
            public var startedAt: Time?

            public init(startedAt: Time? = nil) { self.startedAt = startedAt }
        }

        /// A terminated container; `message` holds the termination message (the installer's report).
        public struct Terminated: Codable, Sendable, Hashable {
            public var exitCode: Int32
            public var signal: Int32?
            public var reason: String?
            public var message: String?
            public var startedAt: Time?
            public var finishedAt: Time?
            public var containerID: String?

            public init(
                exitCode: Int32, signal: Int32? = nil, reason: String? = nil, message: String? = nil,
                startedAt: Time? = nil, finishedAt: Time? = nil, containerID: String? = nil
            ) {
                self.exitCode = exitCode
                self.signal = signal
                self.reason = reason
                self.message = message
                self.startedAt = startedAt
                self.finishedAt = finishedAt
                self.containerID = containerID
            }
        }
    }
}
