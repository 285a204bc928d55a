import Foundation
import Testing

@testable import KubernetesClient

@Suite struct InClusterTests {
    private func serviceAccount() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try directory.write("token", "sa-token\n")
        try directory.write("ca.crt", "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n")
        try directory.write("namespace", "kwasm")
        return directory
    }

    @Test func ipv4Host() throws {
        let directory = try serviceAccount()
        defer { directory.remove() }
        let configuration = try ClientConfiguration.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: directory.path)
        #expect(configuration.server == "https://10.96.0.1:443")
        #expect(configuration.credentials == .tokenFile(path: directory.path + "/token"))
        #expect(configuration.tls.certificateAuthorityPEM?.isEmpty == false)
        #expect(configuration.tls.insecureSkipTLSVerify == false)
        #expect(configuration.defaultNamespace == "kwasm")
    }

    @Test func ipv6HostIsBracketed() async throws {
        let directory = try serviceAccount()
        defer { directory.remove() }
        let configuration = try ClientConfiguration.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00:10:96::1", "KUBERNETES_SERVICE_PORT": "6443"],
            serviceAccountDirectory: directory.path)
        #expect(configuration.server == "https://[fd00:10:96::1]:6443")
        // The URL must be usable by the transport (the fake CA is not a real certificate, so drop it).
        var usable = configuration
        usable.tls = TLSOptions()
        let client = try KubernetesClient(configuration: usable)
        #expect(client.transport.baseURL == "https://[fd00:10:96::1]:6443")
        try await client.shutdown()
    }

    @Test func missingPiecesAreReported() throws {
        let directory = try serviceAccount()
        defer { directory.remove() }
        #expect(throws: KubernetesClientError.self) {
            try ClientConfiguration.inCluster(environment: [:], serviceAccountDirectory: directory.path)
        }
        #expect(throws: KubernetesClientError.self) {
            try ClientConfiguration.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "https"],
                serviceAccountDirectory: directory.path)
        }
        try FileManager.default.removeItem(atPath: directory.path + "/ca.crt")
        do {
            _ = try ClientConfiguration.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1"], serviceAccountDirectory: directory.path)
            Issue.record("expected an error")
        } catch let error as KubernetesClientError {
            #expect(error.message.contains("ca.crt"))
        }
    }

    @Test func rotatedTokenIsReadAgain() async throws {
        let directory = try serviceAccount()
        defer { directory.remove() }
        let source = TokenSource(credentials: .tokenFile(path: directory.path + "/token"))
        #expect(try await source.authorizationHeader() == "Bearer sa-token")
        // The kubelet swaps the file atomically (rename); the modification time changes.
        try directory.write("token.new", "rotated-token")
        let later = Date(timeIntervalSinceNow: 120)
        try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: directory.path + "/token.new")
        #expect(rename(directory.path + "/token.new", directory.path + "/token") == 0)
        #expect(try await source.authorizationHeader() == "Bearer rotated-token")
    }

    @Test func loadPrefersAnExplicitKubeconfigThenInCluster() throws {
        let directory = try serviceAccount()
        defer { directory.remove() }
        let kubeconfig = try directory.write("kubeconfig", """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://explicit:6443"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        let environment = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443", "KUBECONFIG": kubeconfig]
        let inCluster = try ClientConfiguration.load(environment: environment, serviceAccountDirectory: directory.path)
        #expect(inCluster.server == "https://10.96.0.1:443")
        let explicit = try ClientConfiguration.load(
            kubeconfigPath: kubeconfig, environment: environment, serviceAccountDirectory: directory.path)
        #expect(explicit.server == "https://explicit:6443")
        // Outside a pod (no token), KUBECONFIG is used.
        let outside = try ClientConfiguration.load(environment: environment, serviceAccountDirectory: directory.path + "/nope")
        #expect(outside.server == "https://explicit:6443")
    }
}
