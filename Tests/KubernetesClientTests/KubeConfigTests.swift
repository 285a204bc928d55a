import Foundation
import Testing

@testable import KubernetesClient

@Suite struct KubeConfigTests {
    static let caPEM = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"
    static let certPEM = "-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n"
    static let keyPEM = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n"

    private func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    private func config(_ yaml: String, context: String? = nil, directory: String = "/nonexistent") throws -> ClientConfiguration {
        try ClientConfiguration.kubeconfig(yaml: yaml, directory: directory, context: context, source: "test-kubeconfig")
    }

    private func failure(_ yaml: String, context: String? = nil, directory: String = "/nonexistent") -> String {
        do {
            _ = try config(yaml, context: context, directory: directory)
            return "no error"
        } catch let error as KubernetesClientError {
            #expect(error.code == .invalidConfiguration)
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func clientCertificateWithInlineData() throws {
        let configuration = try config("""
            apiVersion: v1
            kind: Config
            current-context: kind-kind
            clusters:
            - name: kind-kind
              cluster:
                server: https://127.0.0.1:6443
                certificate-authority-data: \(base64(Self.caPEM))
            users:
            - name: kind-kind
              user:
                client-certificate-data: \(base64(Self.certPEM))
                client-key-data: \(base64(Self.keyPEM))
            contexts:
            - name: kind-kind
              context: {cluster: kind-kind, user: kind-kind}
            """)
        #expect(configuration.server == "https://127.0.0.1:6443")
        #expect(configuration.tls.certificateAuthorityPEM == Array(Self.caPEM.utf8))
        #expect(configuration.tls.clientCertificatePEM == Array(Self.certPEM.utf8))
        #expect(configuration.tls.clientKeyPEM == Array(Self.keyPEM.utf8))
        #expect(configuration.tls.insecureSkipTLSVerify == false)
        #expect(configuration.credentials == .none)
        #expect(configuration.defaultNamespace == "default")
    }

    @Test func certificateFilesRelativeToTheKubeconfigDirectory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("pki/ca.crt", Self.caPEM)
        try directory.write("pki/client.crt", Self.certPEM)
        let keyPath = try directory.write("client.key", Self.keyPEM)
        let file = try directory.write("config", """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k.example:443", certificate-authority: pki/ca.crt}}]
            users: [{name: u, user: {client-certificate: pki/client.crt, client-key: \(keyPath)}}]
            contexts: [{name: c, context: {cluster: k, user: u, namespace: kwasm}}]
            """)
        let configuration = try ClientConfiguration.kubeconfig(paths: [file])
        #expect(configuration.tls.certificateAuthorityPEM == Array(Self.caPEM.utf8))
        #expect(configuration.tls.clientCertificatePEM == Array(Self.certPEM.utf8))
        #expect(configuration.tls.clientKeyPEM == Array(Self.keyPEM.utf8))
        #expect(configuration.defaultNamespace == "kwasm")
    }

    @Test func bearerToken() throws {
        let configuration = try config("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users: [{name: u, user: {token: abc.def}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """)
        #expect(configuration.credentials == .token("abc.def"))
        #expect(configuration.tls.certificateAuthorityPEM == nil)
    }

    @Test func tokenFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("token", "t0ken\n")
        let configuration = try config("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users: [{name: u, user: {tokenFile: token}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """, directory: directory.path)
        #expect(configuration.credentials == .tokenFile(path: directory.path + "/token"))
    }

    @Test func insecureSkipTLSVerifyIsHonouredButOffByDefault() throws {
        let insecure = try config("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443", insecure-skip-tls-verify: true, tls-server-name: kubernetes}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        #expect(insecure.tls.insecureSkipTLSVerify)
        #expect(insecure.tls.serverName == "kubernetes")
        let secure = try config("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        #expect(!secure.tls.insecureSkipTLSVerify)
        #expect(ClientConfiguration(server: "https://x").tls.insecureSkipTLSVerify == false)
    }

    @Test func namedContextOverridesCurrentContext() throws {
        let yaml = """
            current-context: one
            clusters:
            - {name: a, cluster: {server: "https://a:1"}}
            - {name: b, cluster: {server: "https://b:2"}}
            users: [{name: u, user: {token: t}}]
            contexts:
            - {name: one, context: {cluster: a, user: u}}
            - {name: two, context: {cluster: b, user: u, namespace: ns2}}
            """
        #expect(try config(yaml).server == "https://a:1")
        let two = try config(yaml, context: "two")
        #expect(two.server == "https://b:2")
        #expect(two.defaultNamespace == "ns2")
        #expect(failure(yaml, context: "three").contains(#"context "three" not found"#))
    }

    @Test func execPlugin() throws {
        let configuration = try config("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k:6443"}}]
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: aws
                  args: [eks, get-token]
                  env: [{name: AWS_PROFILE, value: prod}]
                  installHint: install the aws cli
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """, directory: "/etc/kube")
        guard case .exec(let exec) = configuration.credentials else {
            Issue.record("expected exec credentials, got \(configuration.credentials)")
            return
        }
        #expect(exec.command == "aws")
        #expect(exec.args == ["eks", "get-token"])
        #expect(exec.env == ["AWS_PROFILE": "prod"])
        #expect(exec.baseDirectory == "/etc/kube")
    }

    @Test func missingFieldsAreNamedInErrors() {
        #expect(failure("clusters: []").contains("current-context is not set"))
        #expect(failure("""
            current-context: c
            contexts: [{name: c, context: {user: u}}]
            """).contains("field 'cluster' is missing"))
        #expect(failure("""
            current-context: c
            contexts: [{name: c, context: {cluster: k}}]
            """).contains(#"cluster "k" (of context "c") not found"#))
        #expect(failure("""
            current-context: c
            clusters: [{name: k, cluster: {certificate-authority-data: eA==}}]
            contexts: [{name: c, context: {cluster: k}}]
            """).contains(#"cluster "k": field 'server' is missing"#))
        #expect(failure("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k"}}]
            contexts: [{name: c, context: {cluster: k, user: nobody}}]
            """).contains(#"user "nobody" (of context "c") not found"#))
        #expect(failure("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k"}}]
            users: [{name: u, user: {client-certificate-data: \(base64(Self.certPEM))}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """).contains("client-key(-data) is missing"))
        #expect(failure("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k", certificate-authority: missing/ca.crt}}]
            contexts: [{name: c, context: {cluster: k}}]
            """, directory: "/nonexistent").contains("certificate-authority file /nonexistent/missing/ca.crt does not exist"))
        #expect(failure("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k", certificate-authority-data: "!!!not base64"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """).contains("certificate-authority-data is not valid base64"))
        #expect(failure("""
            current-context: c
            clusters: [{name: k, cluster: {server: "k.example:6443"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """).contains("must be an http(s) URL"))
        #expect(failure("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k"}}]
            users: [{name: u, user: {exec: {command: x}}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """).contains("exec: field 'apiVersion' is missing"))
        #expect(failure("current-context: [unclosed").contains("not a valid kubeconfig"))
        #expect(failure("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k", proxy-url: "http://proxy:3128"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """).contains("proxy-url is not supported"))
        #expect(failure("""
            current-context: c
            clusters: [{name: k, cluster: {server: "https://k", insecure-skip-tls-verify: true, certificate-authority-data: \(base64(Self.caPEM))}}]
            contexts: [{name: c, context: {cluster: k}}]
            """).contains("insecure-skip-tls-verify cannot be combined"))
    }

    @Test func kubeconfigListMergesFirstFileWins() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try directory.write("a", """
            current-context: one
            clusters: [{name: k, cluster: {server: "https://first:1"}}]
            contexts: [{name: one, context: {cluster: k, user: u}}]
            """)
        let second = try directory.write("b", """
            current-context: two
            clusters: [{name: k, cluster: {server: "https://second:2"}}]
            users: [{name: u, user: {token: from-second}}]
            contexts: [{name: two, context: {cluster: k}}]
            """)
        let environment = ["KUBECONFIG": "\(first):\(directory.path)/missing:\(second)", "HOME": directory.path]
        let configuration = try ClientConfiguration.load(environment: environment)
        #expect(configuration.server == "https://first:1")
        #expect(configuration.credentials == .token("from-second"))
        let explicit = try ClientConfiguration.load(kubeconfigPath: second, environment: environment)
        #expect(explicit.server == "https://second:2")
    }

    @Test func homeKubeconfigIsTheLastResort() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(".kube/config", """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://home:6443"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        #expect(try ClientConfiguration.load(environment: ["HOME": directory.path]).server == "https://home:6443")
        #expect(throws: KubernetesClientError.self) { try ClientConfiguration.load(kubeconfigPath: directory.path + "/nope", environment: [:]) }
    }
}
