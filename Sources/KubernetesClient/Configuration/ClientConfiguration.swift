import Foundation

/// Everything needed to talk to one API server: where, how to verify it, who we are.
///
/// Build one with ``ClientConfiguration/load(kubeconfigPath:context:environment:)`` (the usual
/// lookup order), ``ClientConfiguration/inCluster(environment:serviceAccountDirectory:)`` or
/// ``ClientConfiguration/kubeconfig(yaml:directory:context:source:)``.
public struct ClientConfiguration: Sendable {
    /// Base URL, e.g. `https://10.96.0.1:443` or `https://rancher.example/k8s/clusters/c-1`.
    public var server: String
    public var tls: TLSOptions
    public var credentials: Credentials
    /// Namespace of the kubeconfig context, or the pod's own namespace in-cluster; `default` otherwise.
    public var defaultNamespace: String
    /// Deadline of an ordinary (non-watch) request.
    public var requestTimeout: Duration
    public var connectTimeout: Duration
    /// Largest response body accepted for an ordinary request.
    public var maxResponseBytes: Int
    public var retry: RetryPolicy
    public var userAgent: String

    public init(
        server: String, tls: TLSOptions = TLSOptions(), credentials: Credentials = .none,
        defaultNamespace: String = "default", requestTimeout: Duration = .seconds(30),
        connectTimeout: Duration = .seconds(10), maxResponseBytes: Int = 256 * 1024 * 1024,
        retry: RetryPolicy = RetryPolicy(), userAgent: String = "kwasm-operator"
    ) {
        self.server = server
        self.tls = tls
        self.credentials = credentials
        self.defaultNamespace = defaultNamespace
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
        self.retry = retry
        self.userAgent = userAgent
    }
}

extension ClientConfiguration {
    /// The usual lookup order: an explicit kubeconfig path; else in-cluster when
    /// `KUBERNETES_SERVICE_HOST` is set and the service account token exists; else `KUBECONFIG`
    /// (colon-separated; the first file that defines a cluster, user or context wins); else `~/.kube/config`.
    public static func load(
        kubeconfigPath: String? = nil, context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = InCluster.defaultServiceAccountDirectory
    ) throws -> ClientConfiguration {
        if let kubeconfigPath, !kubeconfigPath.isEmpty {
            return try kubeconfig(paths: [kubeconfigPath], context: context)
        }
        if let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            FileManager.default.fileExists(atPath: serviceAccountDirectory + "/token")
        {
            return try inCluster(environment: environment, serviceAccountDirectory: serviceAccountDirectory)
        }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let paths = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            return try kubeconfig(paths: paths, context: context)
        }
        guard let home = environment["HOME"], !home.isEmpty else {
            throw KubernetesClientError(
                .invalidConfiguration,
                "no Kubernetes configuration: not in a cluster, KUBECONFIG unset and HOME unknown (use --kubeconfig)")
        }
        return try kubeconfig(paths: [home + "/.kube/config"], context: context)
    }
}
