import Foundation

/// In-cluster configuration from the pod's service account.
public enum InCluster {
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// `https://HOST:PORT` from `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT`, bracketing IPv6 literals.
    public static func serverURL(environment: [String: String]) throws -> String {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw KubernetesClientError(
                .invalidConfiguration, "in-cluster configuration: KUBERNETES_SERVICE_HOST is not set")
        }
        let port = environment["KUBERNETES_SERVICE_PORT"].flatMap { $0.isEmpty ? nil : $0 } ?? "443"
        guard let portNumber = Int(port), (1...65535).contains(portNumber) else {
            throw KubernetesClientError(
                .invalidConfiguration, "in-cluster configuration: KUBERNETES_SERVICE_PORT '\(port)' is not a port")
        }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "https://\(bracketed):\(portNumber)"
    }
}

extension ClientConfiguration {
    /// Configuration of a pod: the API server from the service environment variables, the
    /// service account's CA, and its token (re-read whenever the kubelet rotates the file).
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = InCluster.defaultServiceAccountDirectory
    ) throws -> ClientConfiguration {
        let server = try InCluster.serverURL(environment: environment)
        let tokenPath = serviceAccountDirectory + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubernetesClientError(
                .invalidConfiguration, "in-cluster configuration: service account token \(tokenPath) is not readable")
        }
        let caPath = serviceAccountDirectory + "/ca.crt"
        guard let ca = FileManager.default.contents(atPath: caPath), !ca.isEmpty else {
            throw KubernetesClientError(
                .invalidConfiguration, "in-cluster configuration: service account CA \(caPath) is missing or empty")
        }
        var namespace = "default"
        if let data = FileManager.default.contents(atPath: serviceAccountDirectory + "/namespace"),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !text.isEmpty
        {
            namespace = text
        }
        return ClientConfiguration(
            server: server, tls: TLSOptions(certificateAuthorityPEM: Array(ca)),
            credentials: .tokenFile(path: tokenPath), defaultNamespace: namespace)
    }
}
