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

    /// Proves the handlers usable, not only listed (``HandlerUsability``): fails with `VerificationFailed` when the
    /// running containerd would not find a shim, or would run another binary, or a probe pod does not start.
    /// Returns how they were verified, for the report.
    func verifyUsable(_ entries: [RuntimeCatalog.Entry], usability: HandlerUsability, installedPath: (RuntimeCatalog.File) -> String,
                      configFiles: [[UInt8]]) async throws -> String {
        let status: CRIRuntimeStatus
        do {
            status = try await api.criStatus(timeout: .seconds(5))
        } catch {
            throw InstallerError(.verificationFailed, "CRI runtime status: \(error)")
        }
        let problems = usability.resolutionProblems(entries, loaded: status.runtimes, installedPath: installedPath)
        guard problems.isEmpty else {
            throw InstallerError(.verificationFailed, "the handlers are listed but no pod could use them: " + problems.joined(separator: "; "))
        }
        let image = HandlerUsability.sandboxImage(reported: status.sandboxImage, configFiles: configFiles,
                                                  version: usability.lookup?.process.version)
        let outcome = try await usability.probePods(entries, sandboxImage: image)
        return usability.lookup == nil ? outcome + "; shim resolution not checked: containerd's process is not visible (hostPID)" : outcome
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
