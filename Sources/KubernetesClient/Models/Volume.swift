/// `v1.Volume` (host paths and scratch space are what installers need).
public struct Volume: Codable, Sendable, Hashable {
    public var name: String
    public var hostPath: HostPath?
    public var emptyDir: EmptyDir?
    public var configMap: ConfigMap?
    public var secret: Secret?

    public init(name: String, hostPath: HostPath? = nil, emptyDir: EmptyDir? = nil, configMap: ConfigMap? = nil, secret: Secret? = nil) {
        self.name = name
        self.hostPath = hostPath
        self.emptyDir = emptyDir
        self.configMap = configMap
        self.secret = secret
    }

    /// A `hostPath` volume.
    public static func hostPath(_ name: String, path: String, type: String? = nil) -> Volume {
        Volume(name: name, hostPath: HostPath(path: path, type: type))
    }

    /// `v1.HostPathVolumeSource`.
    public struct HostPath: Codable, Sendable, Hashable {
        public var path: String
        /// `Directory`, `DirectoryOrCreate`, `File`, `Socket`, … (empty: no check).
        public var type: String?

        public init(path: String, type: String? = nil) {
            self.path = path
            self.type = type
        }
    }

    /// `v1.EmptyDirVolumeSource`.
    public struct EmptyDir: Codable, Sendable, Hashable {
        public var medium: String?
        public var sizeLimit: String?

        public init(medium: String? = nil, sizeLimit: String? = nil) {
            self.medium = medium
            self.sizeLimit = sizeLimit
        }
    }

    /// `v1.ConfigMapVolumeSource`.
    public struct ConfigMap: Codable, Sendable, Hashable {
        public var name: String?
        public var optional: Bool?

        public init(name: String?, optional: Bool? = nil) {
            self.name = name
            self.optional = optional
        }
    }

    /// `v1.SecretVolumeSource`.
    public struct Secret: Codable, Sendable, Hashable {
        public var secretName: String?
        public var optional: Bool?

        public init(secretName: String?, optional: Bool? = nil) {
            self.secretName = secretName
            self.optional = optional
        }
    }
}
