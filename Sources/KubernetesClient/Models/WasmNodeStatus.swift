/// The project's own `kwasm.sh/v1alpha1` WasmNodeStatus: cluster-scoped, one per selected node, same name as the Node.
/// See docs/design/contracts.md for the schema.
public struct WasmNodeStatus: KubernetesResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "kwasm.sh", version: "v1alpha1", plural: "wasmnodestatuses", kind: "WasmNodeStatus",
        namespaced: false, hasStatus: true)

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

    public struct Spec: Codable, Sendable, Hashable {
        public var nodeName: String

        public init(nodeName: String) { self.nodeName = nodeName }
    }

    public enum Phase: String, Codable, Sendable, Hashable, CaseIterable {
        case pending = "Pending"
        case installing = "Installing"
        case ready = "Ready"
        case failed = "Failed"
        case uninstalling = "Uninstalling"
        case unsupported = "Unsupported"
    }

    public struct Status: Codable, Sendable, Hashable {
        public var phase: Phase?
        /// Types `Installed`, `RuntimeVerified`, `Ready` (and `Drifted` when it is).
        public var conditions: [Condition]?
        public var runtimes: [InstalledRuntime]?
        /// Comma-separated runtime names, for the RUNTIMES printer column.
        public var runtimeNames: String?
        public var containerd: Containerd?
        public var installerImage: String?
        public var specHash: String?
        public var lastJob: String?
        public var attempts: Int?
        public var lastError: LastError?
        public var observedGeneration: Int64?
        public var lastTransitionTime: Time?
        public var installedTime: Time?
        public var lastCheckedTime: Time?

        public init(
            phase: Phase? = nil, conditions: [Condition]? = nil, runtimes: [InstalledRuntime]? = nil,
            runtimeNames: String? = nil, containerd: Containerd? = nil, installerImage: String? = nil,
            specHash: String? = nil, lastJob: String? = nil, attempts: Int? = nil, lastError: LastError? = nil,
            observedGeneration: Int64? = nil, lastTransitionTime: Time? = nil, installedTime: Time? = nil,
            lastCheckedTime: Time? = nil
        ) {
            self.phase = phase
            self.conditions = conditions
            self.runtimes = runtimes
            self.runtimeNames = runtimeNames
            self.containerd = containerd
            self.installerImage = installerImage
            self.specHash = specHash
            self.lastJob = lastJob
            self.attempts = attempts
            self.lastError = lastError
            self.observedGeneration = observedGeneration
            self.lastTransitionTime = lastTransitionTime
            self.installedTime = installedTime
            self.lastCheckedTime = lastCheckedTime
        }
    }

    /// One runtime the installer put on the node.
    public struct InstalledRuntime: Codable, Sendable, Hashable {
        public var name: String
        public var handler: String?
        public var runtimeType: String?
        public var version: String?
        public var sha256: String?
        public var path: String?

        public init(
            name: String, handler: String? = nil, runtimeType: String? = nil, version: String? = nil,
            sha256: String? = nil, path: String? = nil
        ) {
            self.name = name
            self.handler = handler
            self.runtimeType = runtimeType
            self.version = version
            self.sha256 = sha256
            self.path = path
        }
    }

    public struct Containerd: Codable, Sendable, Hashable {
        public var version: String?
        public var distro: String?
        public var configPath: String?
        public var configSchema: Int?

        public init(version: String? = nil, distro: String? = nil, configPath: String? = nil, configSchema: Int? = nil) {
            self.version = version
            self.distro = distro
            self.configPath = configPath
            self.configSchema = configSchema
        }
    }

    public struct LastError: Codable, Sendable, Hashable {
        /// An installer error code (contracts.md), e.g. `ChecksumMismatch`.
        public var code: String
        public var message: String?
        public var time: Time?

        public init(code: String, message: String? = nil, time: Time? = nil) {
            self.code = code
            self.message = message
            self.time = time
        }
    }
}
