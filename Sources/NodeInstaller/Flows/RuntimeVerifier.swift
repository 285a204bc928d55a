import Foundation

/// Checks the *running* containerd, never the file: its socket answers, and its CRI plugin has our handlers
/// loaded with the right runtime_type.
public struct RuntimeVerifier: Sendable {
    public var api: ContainerdAPI
    public var timeout: Double

    public init(socketPath: String, timeout: Double) {
        api = ContainerdAPI(socketPath: socketPath)
        self.timeout = timeout
    }

    /// Polls the version service until it answers or the deadline passes.
    public func waitForContainerd() async throws -> ContainerdVersionInfo {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: Error?
        while Date() < deadline {
            do {
                return try await api.version(timeout: .seconds(3))
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw InstallerError(.verificationFailed, "containerd did not answer within \(Int(timeout)) s: \(lastError.map { "\($0)" } ?? "no answer")")
    }

    /// Polls CRI status until every expected handler is loaded as expected (or, with `present == false`, gone).
    public func waitForHandlers(_ expected: [RuntimeCatalog.Entry], installDir: String, present: Bool = true) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var problem = "no answer"
        while true {
            do {
                let status = try await api.criStatus(timeout: .seconds(3))
                let problems = Self.problems(status, expected: expected, installDir: installDir, present: present)
                if problems.isEmpty { return }
                problem = problems.joined(separator: "; ")
            } catch {
                problem = "CRI runtime status: \(error)"
            }
            if Date() > deadline { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw InstallerError(.verificationFailed, "running containerd does not show the expected runtimes: \(problem)")
    }

    /// Differences between the loaded runtimes and what we installed.
    public static func problems(_ status: CRIRuntimeStatus, expected: [RuntimeCatalog.Entry], installDir: String, present: Bool) -> [String] {
        var problems: [String] = []
        for entry in expected {
            let loaded = status.runtimes[entry.handler]
            if !present {
                if loaded != nil { problems.append("handler \(entry.handler) is still loaded") }
                continue
            }
            guard let loaded else {
                problems.append("handler \(entry.handler) is not loaded")
                continue
            }
            if loaded.runtimeType != entry.runtimeType {
                problems.append("handler \(entry.handler) has runtime_type \(loaded.runtimeType), expected \(entry.runtimeType)")
            }
            if entry.kind == "oci-binary", let binary = entry.installedPaths(installDir: installDir).first,
               loaded.binaryName != binary {
                problems.append("handler \(entry.handler) runs \(loaded.binaryName ?? "nothing"), expected \(binary)")
            }
        }
        return problems
    }
}
