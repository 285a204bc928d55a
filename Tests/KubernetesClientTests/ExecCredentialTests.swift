import Foundation
import Testing

@testable import KubernetesClient

@Suite struct ExecCredentialTests {
    private func plugin(in directory: TemporaryDirectory, exitCode: Int = 0, expiration: String = "2099-01-01T00:00:00Z") throws -> String {
        let path = try directory.write("plugin.sh", """
            #!/bin/sh
            dir=$(dirname "$0")
            printf '%s' "$KUBERNETES_EXEC_INFO" > "$dir/info.json"
            count=$(cat "$dir/count" 2>/dev/null || echo 0)
            echo $((count + 1)) > "$dir/count"
            if [ \(exitCode) -ne 0 ]; then echo "no credentials for $PROFILE" >&2; exit \(exitCode); fi
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s-%s","expirationTimestamp":"\(expiration)"}}' "$PROFILE" "$count"
            """)
        // Run through a symlinked shell: executing a file this process just wrote can fail with
        // ETXTBSY while parallel tests fork (the child inherits the write descriptor briefly).
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/shell", withDestinationPath: "/bin/sh")
        return path
    }

    @Test func tokenIsCachedUntilInvalidated() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try plugin(in: directory)
        // A relative command resolves against the kubeconfig's directory.
        let source = TokenSource(
            credentials: .exec(ExecConfig(command: "./shell", args: [directory.path + "/plugin.sh"], env: ["PROFILE": "prod"], baseDirectory: directory.path)))
        #expect(try await source.authorizationHeader() == "Bearer prod-0")
        #expect(try await source.authorizationHeader() == "Bearer prod-0")
        await source.invalidate()
        #expect(try await source.authorizationHeader() == "Bearer prod-1")
        let info = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: directory.path + "/info.json")))
        #expect(info["kind"] == "ExecCredential")
        #expect(info["apiVersion"] == "client.authentication.k8s.io/v1")
    }

    @Test func expiredTokenIsRefreshed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try plugin(in: directory, expiration: "2000-01-01T00:00:00Z")
        let source = TokenSource(credentials: .exec(ExecConfig(command: "/bin/sh", args: [path], env: ["PROFILE": "p"])))
        #expect(try await source.authorizationHeader() == "Bearer p-0")
        #expect(try await source.authorizationHeader() == "Bearer p-1")
    }

    @Test func failingPluginReportsStderrAndInstallHint() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try plugin(in: directory, exitCode: 3)
        let source = TokenSource(
            credentials: .exec(ExecConfig(command: "/bin/sh", args: [path], env: ["PROFILE": "dev"], installHint: "install the cloud CLI")))
        do {
            _ = try await source.authorizationHeader()
            Issue.record("expected an error")
        } catch let error as KubernetesClientError {
            #expect(error.code == .credentials)
            #expect(error.message.contains("exited with 3"))
            #expect(error.message.contains("no credentials for dev"))
            #expect(error.message.contains("install the cloud CLI"))
        }
    }

    @Test func missingPluginIsAClearError() async throws {
        let source = TokenSource(credentials: .exec(ExecConfig(command: "kwasm-no-such-plugin-\(UUID().uuidString)")))
        await #expect(throws: KubernetesClientError.self) { _ = try await source.authorizationHeader() }
    }
}
