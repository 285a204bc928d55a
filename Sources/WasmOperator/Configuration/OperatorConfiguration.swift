import KubernetesClient

/// Everything the operator needs to know, validated. Built from `OperatorFlags` (the command
/// line, contracts.md) or directly in tests.
public struct OperatorConfiguration: Sendable, Equatable {
    public var kubeconfig: String?
    /// Namespace where installer Jobs run.
    public var namespace: String
    public var installerImage: String
    public var installerImagePullPolicy: String
    public var imagePullSecrets: [String]
    public var runtimes: [WasmRuntime]
    /// 0 = auto: ceil(selected nodes / 10), at least 1.
    public var maxParallel: Int
    public var nodeSelector: LabelSelector?
    public var autoProvision: Bool
    public var restartStrategy: String
    /// `.zero` disables periodic drift checks (boot-ID and containerd-version changes still trigger one).
    public var driftInterval: Duration
    public var jobActiveDeadlineSeconds: Int
    public var jobTTLSeconds: Int
    public var jobBackoffLimit: Int
    public var maxAttempts: Int
    public var jobPriorityClass: String?
    public var installerResources: InstallerResources
    public var leaderElect: Bool
    public var leaderElectionNamespace: String
    public var leaseName: String
    public var healthProbeBindAddress: BindAddress?
    public var metricsBindAddress: BindAddress?
    public var logFormat: LogFormat
    public var logLevel: String
    /// First retry delay after a failed installer Job; doubles per attempt up to `retryMaxDelay`.
    public var retryBaseDelay: Duration = .seconds(10)
    public var retryMaxDelay: Duration = .seconds(300)
    /// How long to wait for the kubelet to publish our handlers in `node.status.runtimeHandlers`.
    public var runtimeHandlersTimeout: Duration = .seconds(300)
    /// How often a node waiting for a rollout slot looks again (a finished Job also wakes it).
    public var slotPollInterval: Duration = .seconds(30)
    /// Reconciles running at once (never two for the same node). They mostly wait on the API
    /// server; beyond ~16 more only queue there (the benchmark converged no faster with 64, and
    /// held more requests in memory).
    public var reconcileConcurrency = 16
    /// Leader election timings (client-go defaults); tests shorten them.
    public var leaseDuration: Duration = .seconds(15)
    public var renewDeadline: Duration = .seconds(10)
    public var retryPeriod: Duration = .seconds(2)
    /// How often RuntimeClasses are compared with the cache (no request when they match).
    public var runtimeClassSyncInterval: Duration = .seconds(2)

    public enum LogFormat: String, Sendable, Equatable { case text, json }

    public init(
        installerImage: String,
        namespace: String = "kwasm",
        runtimes: [WasmRuntime] = (try? KnownWasmRuntimes.default.resolve(["spin", "wasmtime"])) ?? []
    ) {
        self.kubeconfig = nil
        self.namespace = namespace
        self.installerImage = installerImage
        self.installerImagePullPolicy = "IfNotPresent"
        self.imagePullSecrets = []
        self.runtimes = runtimes
        self.maxParallel = 0
        self.nodeSelector = nil
        self.autoProvision = false
        self.restartStrategy = "auto"
        self.driftInterval = .seconds(600)
        self.jobActiveDeadlineSeconds = 600
        self.jobTTLSeconds = 3600
        self.jobBackoffLimit = 0
        self.maxAttempts = 5
        self.jobPriorityClass = "system-node-critical"
        self.installerResources = .default
        self.leaderElect = false
        self.leaderElectionNamespace = namespace
        self.leaseName = "kwasm-operator"
        self.healthProbeBindAddress = BindAddress(host: "0.0.0.0", port: 8081)
        self.metricsBindAddress = BindAddress(host: "0.0.0.0", port: 8080)
        self.logFormat = .text
        self.logLevel = "info"
    }

    /// The rollout cap for a fleet of `selectedNodes` nodes.
    public func effectiveMaxParallel(selectedNodes: Int) -> Int {
        if maxParallel > 0 { return maxParallel }
        return max(1, (selectedNodes + 9) / 10)
    }
}

/// `host:port`; an empty host means all interfaces (`:8080`).
public struct BindAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `nil` for `"0"` (disabled, as in controller-runtime).
    public static func parse(_ text: String) throws(ConfigurationError) -> BindAddress? {
        if text == "0" { return nil }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw ConfigurationError("invalid bind address \"\(text)\" (expected host:port, :port or 0 to disable)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return BindAddress(host: host.isEmpty ? "0.0.0.0" : host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Installer container resources, `{"requests":{"cpu":"50m"},"limits":{"memory":"256Mi"}}`.
public struct InstallerResources: Sendable, Equatable, Codable {
    public var requests: [String: String]?
    public var limits: [String: String]?

    public init(requests: [String: String]? = nil, limits: [String: String]? = nil) {
        self.requests = requests
        self.limits = limits
    }

    public static let `default` = InstallerResources(
        requests: ["cpu": "50m", "memory": "64Mi"], limits: ["memory": "256Mi"])
}

public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
