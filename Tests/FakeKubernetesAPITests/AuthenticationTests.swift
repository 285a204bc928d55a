import AsyncHTTPClient
import FakeKubernetesAPI
import Foundation
import NIOSSL
import Testing

@Suite struct BearerTokenTests {
    @Test func requestsWithoutTheTokenAreUnauthorized() async throws {
        var options = FakeAPIServer.Options()
        options.bearerToken = "s3cret"
        try await Harness.run(options: options) { (h) async throws in
            let anonymous = try await h.get(nodesPath)
            #expect(anonymous.status == 401)
            #expect(anonymous.body["reason"] == "Unauthorized")
            #expect(try await h.request(.GET, nodesPath, headers: [("Authorization", "Bearer wrong")]).status == 401)
            #expect(try await h.request(.GET, nodesPath, headers: [("Authorization", "Bearer s3cret")]).status == 200)
            // Rotation.
            h.api.setBearerToken("next")
            #expect(try await h.request(.GET, nodesPath, headers: [("Authorization", "Bearer s3cret")]).status == 401)
            #expect(try await h.request(.GET, nodesPath, headers: [("Authorization", "Bearer next")]).status == 200)
        }
    }
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl.
struct TestPKI {
    let directory: URL
    var ca: String { directory.appendingPathComponent("ca.crt").path }
    var serverCert: String { directory.appendingPathComponent("server.crt").path }
    var serverKey: String { directory.appendingPathComponent("server.key").path }
    var clientCert: String { directory.appendingPathComponent("client.crt").path }
    var clientKey: String { directory.appendingPathComponent("client.key").path }

    static var opensslAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }

    static func make() throws -> TestPKI {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fakeapi-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = """
            set -e
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=fake-ca 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 -extfile server.ext 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=kwasm-operator 2>/dev/null
            openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 1 2>/dev/null
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = directory
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return TestPKI(directory: directory)
    }
}

@Suite(.enabled(if: TestPKI.opensslAvailable, "openssl is missing: TLS tests skipped"))
struct TLSTests {
    @Test func httpsWithClientCertificateVerification() async throws {
        let pki = try TestPKI.make()
        defer { try? FileManager.default.removeItem(at: pki.directory) }
        var options = FakeAPIServer.Options()
        options.tls = .init(certificateChainPath: pki.serverCert, privateKeyPath: pki.serverKey, clientCAPath: pki.ca)

        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(pki.ca)
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(pki.clientCert).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: pki.clientKey, format: .pem))
        try await Harness.run(options: options, client: .init(tlsConfiguration: tls)) { (h) async throws in
            #expect(h.base.hasPrefix("https://127.0.0.1:"))
            #expect(try await h.get(nodesPath).status == 200)

            // Without a client certificate the handshake fails.
            var anonymousTLS = TLSConfiguration.makeClientConfiguration()
            anonymousTLS.trustRoots = .file(pki.ca)
            let anonymous = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: anonymousTLS))
            await #expect(throws: (any Error).self) {
                let response = try await anonymous.execute(HTTPClientRequest(url: h.base + nodesPath), timeout: .seconds(5))
                _ = try await response.body.collect(upTo: 1 << 20)
            }
            try await anonymous.shutdown()
        }
    }
}
