import Foundation

/// Runs a kubeconfig exec credential plugin and reads its `ExecCredential` from stdout.
///
/// Only bearer tokens are supported; a plugin that returns a client certificate instead is
/// reported as an error (the TLS identity is fixed when the client is created).
enum ExecCredentialPlugin {
    struct Credential: Sendable {
        var token: String
        var expiration: Date?
    }

    private struct ExecCredential: Codable {
        var apiVersion: String?
        var kind: String?
        var spec: Spec?
        var status: CredentialStatus?

        struct Spec: Codable {
            var interactive: Bool?
        }

        struct CredentialStatus: Codable {
            var token: String?
            var expirationTimestamp: Time?
            var clientCertificateData: String?
            var clientKeyData: String?
        }
    }

    static func run(_ config: ExecConfig) async throws -> Credential {
        let output = try await execute(config)
        let credential: ExecCredential
        do {
            credential = try JSONDecoder().decode(ExecCredential.self, from: output)
        } catch {
            throw KubernetesClientError(
                .credentials, "exec plugin \(config.command) printed no valid ExecCredential: \(error)")
        }
        guard let token = credential.status?.token, !token.isEmpty else {
            if credential.status?.clientCertificateData != nil {
                throw KubernetesClientError(
                    .credentials,
                    "exec plugin \(config.command) returned a client certificate; only token credentials are supported")
            }
            throw KubernetesClientError(.credentials, "exec plugin \(config.command): status.token is missing")
        }
        return Credential(token: token, expiration: credential.status?.expirationTimestamp?.date)
    }

    private static func execute(_ config: ExecConfig) async throws -> Data {
        let process = Process()
        var command = config.command
        if command.contains("/"), !command.hasPrefix("/"), let base = config.baseDirectory {
            command = base + "/" + command
        }
        // /usr/bin/env resolves a bare command name on PATH, like kubectl does.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [command] + config.args
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in config.env { environment[name] = value }
        let info: JSONValue = [
            "apiVersion": .string(config.apiVersion), "kind": "ExecCredential",
            "spec": ["interactive": false],
        ]
        environment["KUBERNETES_EXEC_INFO"] = String(decoding: try JSONEncoder().encode(info), as: UTF8.self)
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let hint = config.installHint.map { "\n\($0)" } ?? ""
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    try process.run()
                } catch {
                    continuation.resume(
                        throwing: KubernetesClientError(
                            .credentials, "exec plugin \(config.command) could not be started: \(error)\(hint)"))
                    return
                }
                // Drain stderr concurrently so a chatty plugin cannot block on a full pipe.
                let errorOutput = ErrorOutput()
                let drained = DispatchGroup()
                drained.enter()
                DispatchQueue.global().async {
                    errorOutput.set(stderr.fileHandleForReading.readDataToEndOfFile())
                    drained.leave()
                }
                let output = stdout.fileHandleForReading.readDataToEndOfFile()
                drained.wait()
                process.waitUntilExit()
                if process.terminationStatus != 0 {
                    let text = String(decoding: errorOutput.get().prefix(2048), as: UTF8.self)
                    continuation.resume(
                        throwing: KubernetesClientError(
                            .credentials,
                            "exec plugin \(config.command) exited with \(process.terminationStatus): \(text)\(hint)"))
                } else {
                    continuation.resume(returning: output)
                }
            }
        }
    }
}

/// The plugin's stderr, filled by another thread.
private final class ErrorOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}
