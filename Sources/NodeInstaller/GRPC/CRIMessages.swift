/// The CRI (`runtime.v1`) request messages the installer and the test pod runner send, encoded by hand
/// with the field numbers of `k8s.io/cri-api/pkg/apis/runtime/v1/api.proto`.

/// What a pod sandbox is started with: the kubelet's `PodSandboxConfig`, reduced to a host-network pod
/// (no CNI needed), which is all a runtime probe or a test pod needs.
public struct CRIPodSandboxConfig: Sendable, Equatable {
    public var name: String
    public var namespace: String
    public var uid: String
    /// Absolute directory where containerd writes the containers' logs (`log_path` is relative to it).
    public var logDirectory: String
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(name: String, namespace: String = "kwasm-system", uid: String, logDirectory: String = "",
                labels: [String: String] = [:], annotations: [String: String] = [:]) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.logDirectory = logDirectory
        self.labels = labels
        self.annotations = annotations
    }

    /// `NamespaceMode.NODE`: the pod shares the node's network namespace (`hostNetwork: true`).
    static let nodeNamespace: UInt64 = 2

    /// `PodSandboxConfig`.
    public var encoded: [UInt8] {
        typealias P = ProtobufCodec
        let metadata = P.encodeString(field: 1, name) + P.encodeString(field: 2, uid) + P.encodeString(field: 3, namespace)
        let namespaces = P.encodeUInt(field: 1, Self.nodeNamespace)
        let security = P.encodeMessage(field: 1, namespaces)
        let linux = P.encodeMessage(field: 2, security)
        // No hostname: a host-network pod has the node's (runc refuses one without a private UTS namespace).
        return P.encodeMessage(field: 1, metadata)
            + (logDirectory.isEmpty ? [] : P.encodeString(field: 3, logDirectory))
            + P.encodeStringMap(field: 6, labels) + P.encodeStringMap(field: 7, annotations)
            + P.encodeMessage(field: 8, linux)
    }
}

/// A container in a ``CRIPodSandboxConfig`` pod: the kubelet's `ContainerConfig`, reduced.
public struct CRIContainerConfig: Sendable, Equatable {
    public var name: String
    /// An image reference present in containerd's `k8s.io` namespace.
    public var image: String
    /// Overrides the image's entrypoint when not empty (`command` in a pod spec).
    public var command: [String]
    public var args: [String]
    public var environment: [String: String]
    public var annotations: [String: String]
    /// Relative to the sandbox's `logDirectory`.
    public var logPath: String

    public init(name: String, image: String, command: [String] = [], args: [String] = [],
                environment: [String: String] = [:], annotations: [String: String] = [:], logPath: String = "") {
        self.name = name
        self.image = image
        self.command = command
        self.args = args
        self.environment = environment
        self.annotations = annotations
        self.logPath = logPath.isEmpty ? name + ".log" : logPath
    }

    /// `ContainerConfig`.
    public var encoded: [UInt8] {
        typealias P = ProtobufCodec
        let namespaces = P.encodeUInt(field: 1, CRIPodSandboxConfig.nodeNamespace)
        let security = P.encodeMessage(field: 3, namespaces)
        let linux = P.encodeMessage(field: 2, security)
        let envs = environment.sorted { $0.key < $1.key }.flatMap {
            P.encodeBytes(field: 6, P.encodeString(field: 1, $0.key) + P.encodeString(field: 2, $0.value))
        }
        return P.encodeMessage(field: 1, P.encodeString(field: 1, name))
            + P.encodeMessage(field: 2, P.encodeString(field: 1, image))
            + command.flatMap { P.encodeString(field: 3, $0) } + args.flatMap { P.encodeString(field: 4, $0) }
            + envs + P.encodeStringMap(field: 10, annotations) + P.encodeString(field: 11, logPath)
            + P.encodeMessage(field: 15, linux)
    }
}

/// A container's state as `ContainerStatus` reports it.
public struct CRIContainerStatus: Sendable, Equatable {
    public enum State: UInt64, Sendable {
        case created = 0, running = 1, exited = 2, unknown = 3
    }

    public var state: State
    public var exitCode: Int32
    public var reason: String
    public var message: String
    /// Absolute path of the container's CRI-format log file.
    public var logPath: String

    /// Decodes a `ContainerStatusResponse` (status = 1).
    static func parse(_ bytes: [UInt8]) throws -> CRIContainerStatus {
        let response = try ProtobufCodec.decode(bytes)
        let status = try ProtobufCodec.decode(ProtobufCodec.allBytes(response, 1).first ?? [])
        return CRIContainerStatus(
            state: State(rawValue: ProtobufCodec.varint(status, 3)) ?? .unknown,
            exitCode: Int32(truncatingIfNeeded: ProtobufCodec.varint(status, 7)),
            reason: ProtobufCodec.string(status, 10) ?? "",
            message: ProtobufCodec.string(status, 11) ?? "",
            logPath: ProtobufCodec.string(status, 15) ?? ""
        )
    }
}
