/// `v1.Container` (the fields needed to build and inspect installer pods).
public struct Container: Codable, Sendable, Hashable {
    public var name: String
    public var image: String?
    /// `Always`, `IfNotPresent` or `Never`.
    public var imagePullPolicy: String?
    public var command: [String]?
    public var args: [String]?
    public var workingDir: String?
    public var env: [EnvVar]?
    public var resources: ResourceRequirements?
    public var volumeMounts: [VolumeMount]?
    public var securityContext: SecurityContext?
    public var terminationMessagePath: String?
    /// `File` or `FallbackToLogsOnError`.
    public var terminationMessagePolicy: String?

    public init(
        name: String, image: String? = nil, imagePullPolicy: String? = nil, command: [String]? = nil,
        args: [String]? = nil, workingDir: String? = nil, env: [EnvVar]? = nil,
        resources: ResourceRequirements? = nil, volumeMounts: [VolumeMount]? = nil,
        securityContext: SecurityContext? = nil, terminationMessagePath: String? = nil,
        terminationMessagePolicy: String? = nil
    ) {
        self.name = name
        self.image = image
        self.imagePullPolicy = imagePullPolicy
        self.command = command
        self.args = args
        self.workingDir = workingDir
        self.env = env
        self.resources = resources
        self.volumeMounts = volumeMounts
        self.securityContext = securityContext
        self.terminationMessagePath = terminationMessagePath
        self.terminationMessagePolicy = terminationMessagePolicy
    }
}

/// `v1.EnvVar`: a literal value or one taken from a field of the pod (downward API) or a secret.
public struct EnvVar: Codable, Sendable, Hashable {
    public var name: String
    public var value: String?
    public var valueFrom: Source?

    public init(name: String, value: String? = nil, valueFrom: Source? = nil) {
        self.name = name
        self.value = value
        self.valueFrom = valueFrom
    }

    /// An environment variable from a pod field, e.g. `spec.nodeName`.
    public static func fieldRef(_ name: String, fieldPath: String) -> EnvVar {
        EnvVar(name: name, valueFrom: Source(fieldRef: FieldSelector(fieldPath: fieldPath)))
    }

    /// `v1.EnvVarSource`.
    public struct Source: Codable, Sendable, Hashable {
        public var fieldRef: FieldSelector?
        public var secretKeyRef: KeySelector?
        public var configMapKeyRef: KeySelector?

        public init(fieldRef: FieldSelector? = nil, secretKeyRef: KeySelector? = nil, configMapKeyRef: KeySelector? = nil) {
            self.fieldRef = fieldRef
            self.secretKeyRef = secretKeyRef
            self.configMapKeyRef = configMapKeyRef
        }
    }

    /// `v1.ObjectFieldSelector`.
    public struct FieldSelector: Codable, Sendable, Hashable {
        public var apiVersion: String?
        public var fieldPath: String

        public init(apiVersion: String? = nil, fieldPath: String) {
            self.apiVersion = apiVersion
            self.fieldPath = fieldPath
        }
    }

    /// `v1.SecretKeySelector` / `v1.ConfigMapKeySelector`.
    public struct KeySelector: Codable, Sendable, Hashable {
        /// Optional in the API (an empty name is allowed), so optional here too.
        public var name: String?
        public var key: String
        public var optional: Bool?

        public init(name: String?, key: String, optional: Bool? = nil) {
            self.name = name
            self.key = key
            self.optional = optional
        }
    }
}

/// `v1.ResourceRequirements`; quantities are kept as strings (`50m`, `64Mi`).
public struct ResourceRequirements: Codable, Sendable, Hashable {
    public var requests: [String: String]?
    public var limits: [String: String]?

    public init(requests: [String: String]? = nil, limits: [String: String]? = nil) {
        self.requests = requests
        self.limits = limits
    }
}

/// `v1.VolumeMount`.
public struct VolumeMount: Codable, Sendable, Hashable {
    public var name: String
    public var mountPath: String
    public var readOnly: Bool?
    public var subPath: String?
    /// `None`, `HostToContainer` or `Bidirectional`.
    public var mountPropagation: String?

    public init(name: String, mountPath: String, readOnly: Bool? = nil, subPath: String? = nil, mountPropagation: String? = nil) {
        self.name = name
        self.mountPath = mountPath
        self.readOnly = readOnly
        self.subPath = subPath
        self.mountPropagation = mountPropagation
    }
}

/// `v1.SecurityContext` of a container.
public struct SecurityContext: Codable, Sendable, Hashable {
    public var privileged: Bool?
    public var allowPrivilegeEscalation: Bool?
    public var readOnlyRootFilesystem: Bool?
    public var runAsUser: Int64?
    public var runAsGroup: Int64?
    public var runAsNonRoot: Bool?
    public var capabilities: Capabilities?

    public init(
        privileged: Bool? = nil, allowPrivilegeEscalation: Bool? = nil, readOnlyRootFilesystem: Bool? = nil,
        runAsUser: Int64? = nil, runAsGroup: Int64? = nil, runAsNonRoot: Bool? = nil,
        capabilities: Capabilities? = nil
    ) {
        self.privileged = privileged
        self.allowPrivilegeEscalation = allowPrivilegeEscalation
        self.readOnlyRootFilesystem = readOnlyRootFilesystem
        self.runAsUser = runAsUser
        self.runAsGroup = runAsGroup
        self.runAsNonRoot = runAsNonRoot
        self.capabilities = capabilities
    }

    public struct Capabilities: Codable, Sendable, Hashable {
        public var add: [String]?
        public var drop: [String]?

        public init(add: [String]? = nil, drop: [String]? = nil) {
            self.add = add
            self.drop = drop
        }
    }
}
