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

/// How the server is verified and how we prove our identity at the TLS layer.
public struct TLSOptions: Sendable, Hashable {
    /// PEM bundle of the certificate authorities to trust; `nil` uses the system trust store.
    public var certificateAuthorityPEM: [UInt8]?
    /// PEM client certificate (chain), presented when the server asks.
    public var clientCertificatePEM: [UInt8]?
    /// PEM private key matching ``clientCertificatePEM``.
    public var clientKeyPEM: [UInt8]?
    /// Skips server certificate verification. Off unless the kubeconfig explicitly asks for it.
    public var insecureSkipTLSVerify: Bool
    /// Name to verify the server certificate against (and send as SNI) instead of the URL's host.
    public var serverName: String?

    public init(
        certificateAuthorityPEM: [UInt8]? = nil, clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil,
        insecureSkipTLSVerify: Bool = false, serverName: String? = nil
    ) {
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.serverName = serverName
    }
}

/// How requests are authenticated (besides a TLS client certificate).
public enum Credentials: Sendable, Hashable {
    case none
    /// A fixed bearer token.
    case token(String)
    /// A bearer token read from a file and re-read when the file changes (projected service account tokens rotate).
    case tokenFile(path: String)
    /// A token from an exec credential plugin (`client.authentication.k8s.io/v1`), cached until it expires.
    case exec(ExecConfig)
    case basic(username: String, password: String)
}

/// An exec credential plugin from a kubeconfig `users[].user.exec`.
public struct ExecConfig: Sendable, Hashable {
    public var apiVersion: String
    public var command: String
    public var args: [String]
    public var env: [String: String]
    /// Shown when the command cannot be run.
    public var installHint: String?
    /// Directory the command is resolved from when it is a relative path (the kubeconfig's directory).
    public var baseDirectory: String?

    public init(
        apiVersion: String = "client.authentication.k8s.io/v1", command: String, args: [String] = [],
        env: [String: String] = [:], installHint: String? = nil, baseDirectory: String? = nil
    ) {
        self.apiVersion = apiVersion
        self.command = command
        self.args = args
        self.env = env
        self.installHint = installHint
        self.baseDirectory = baseDirectory
    }
}

/// Bounded retries of requests the server asked us to repeat (429, or 5xx with `Retry-After`).
public struct RetryPolicy: Sendable, Hashable {
    public var maxRetries: Int
    /// Wait when the server gave no `Retry-After`.
    public var defaultDelay: Duration
    /// Upper bound on a single wait, whatever `Retry-After` says.
    public var maxDelay: Duration

    public init(maxRetries: Int = 5, defaultDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(30)) {
        self.maxRetries = maxRetries
        self.defaultDelay = defaultDelay
        self.maxDelay = maxDelay
    }

    /// No retries (tests of error mapping use this).
    public static let none = RetryPolicy(maxRetries: 0)
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
