import ContainerdSandbox
import Foundation
import KubernetesClient
import Testing

/// Issue #5's end-to-end test: what scripts/demo.sh shows, asserted. The real `kwasm-operator` binary
/// against a simulated cluster over HTTP; annotating the node makes it run an installer Job, which the
/// simulated kubelet executes for real (`kwasm-node-installer install`) against a sandboxed containerd;
/// then the node must be Ready and a container must start through the installed runtime. Removing the
/// annotation must give the host back exactly as it was.
@Suite("Operator end to end")
struct OperatorEndToEndTests {
    static let annotation = "kwasm.sh/kwasm-node"
    static let readinessLabel = "kwasm.sh/kwasm-provisioned"
    /// Deadlines only keep a broken run from hanging; nothing here asserts on time.
    static let deadline = Duration.seconds(180)

    @Test(
        "annotate → real install into a sandbox containerd → Ready → a container through the new runtime; un-annotate → host restored",
        .enabled(if: BuiltPrograms.endToEndAvailable), .timeLimit(.minutes(10)))
    func annotateInstallRunUninstall() async throws {
        let e2e = try await EndToEndCluster.start()
        do {
            try await install(e2e)
            try await uninstall(e2e)
            // Like a Pod being deleted: SIGTERM, and the operator shuts down cleanly by itself.
            let exit = await e2e.operatorProcess.stop()
            #expect(exit == 0, "kwasm-operator after SIGTERM: \(exit.map { "exit status \($0)" } ?? "had to be killed")")
        } catch {
            // Stopped early (a #require, a timeout): say where the operator stood, then clean up and fail.
            let status = try? await e2e.client.getIfExists(WasmNodeStatus.self, name: EndToEndCluster.nodeName)
            Issue.record("""
                the run stopped early; WasmNodeStatus phase \(status?.status?.phase.map(\.rawValue) ?? "none"), \
                lastError \(status?.status?.lastError.map { "\($0.code): \($0.message ?? "")" } ?? "none")
                operator log (last lines):
                \(e2e.operatorProcess.logTail())
                """)
            await e2e.tearDown()
            throw error
        }
        await e2e.tearDown()
    }

    // MARK: - Install

    func install(_ e2e: EndToEndCluster) async throws {
        let client = e2e.client
        let node = EndToEndCluster.nodeName
        // The user's `kubectl get wns -w`: wait for Ready (or stop early on a final failure).
        let status = try await annotateAndWaitUntilSettled(e2e)
        try #require(status.status?.phase == .ready,
                     "phase \(String(describing: status.status?.phase)), lastError \(String(describing: status.status?.lastError))")

        // The readiness label the RuntimeClass schedules on.
        _ = try await waitFor("node label \(Self.readinessLabel)=true", e2e) {
            try await client.get(Node.self, name: node).metadata.labels?[Self.readinessLabel] == "true" ? true : nil
        }

        // One RuntimeClass per runtime: name = handler, scheduled only onto provisioned nodes.
        let runtimeClass = try await waitFor("RuntimeClass wasmtime", e2e) {
            try await client.getIfExists(RuntimeClass.self, name: EndToEndCluster.runtime)
        }
        #expect(runtimeClass.handler == EndToEndCluster.runtime)
        #expect(runtimeClass.scheduling?.nodeSelector == [Self.readinessLabel: "true"])

        // The status names what is on the host: the installed shim file, byte for byte the catalog's.
        let installed = try #require(status.status?.runtimes?.first { $0.name == EndToEndCluster.runtime },
                                     "status runtimes: \(String(describing: status.status?.runtimes))")
        #expect(installed.handler == EndToEndCluster.runtime)
        #expect(installed.runtimeType == "io.containerd.wasmtime.v1")
        #expect(installed.path == EndToEndCluster.shimHostPath)
        let shimOnHost = e2e.hostPath(EndToEndCluster.shimHostPath)
        #expect(FileManager.default.isExecutableFile(atPath: shimOnHost))
        let hostDigest = try await EndToEndCluster.sha256(of: shimOnHost)
        #expect(installed.sha256 == hostDigest)
        #expect(hostDigest == e2e.shimSHA256)
        #expect(status.status?.runtimeNames == EndToEndCluster.runtime)
        // `kubectl describe wns`: every condition true, and the containerd it found is the sandbox's.
        for type in ["Installed", "RuntimeVerified", "Ready"] {
            let condition = status.status?.conditions?.first { $0.type == type }
            #expect(condition?.status == "True", "condition \(type): \(String(describing: condition))")
        }
        #expect(status.status?.containerd?.configPath == "/etc/containerd/config.toml")
        let version = try await offPool { try CommandRunner.run("/usr/bin/containerd", ["--version"]) }.stdout
        let reported = try #require(status.status?.containerd?.version, "status.containerd: \(String(describing: status.status?.containerd))")
        #expect(!reported.isEmpty && version.contains(reported), "status says containerd \(reported); containerd --version: \(version)")

        // The host's containerd config has the runtime, the runc runtime it had is still there, and
        // containerd itself runs with it: in its merged config and in what CRI reports.
        let config = String(decoding: e2e.hostConfig, as: UTF8.self)
        #expect(config.contains(#"[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime]"#), "config.toml:\n\(config)")
        #expect(config.contains(#"runtime_type = "io.containerd.wasmtime.v1""#), "config.toml:\n\(config)")
        #expect(config.contains(#"[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]"#), "config.toml:\n\(config)")
        let dump = try await offPool { try e2e.sandbox.configDump() }
        #expect(dump.contains(#"[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime]"#), "config dump:\n\(dump)")
        let handlers = try await criLoadedHandlers(socketPath: e2e.sandbox.socketPath)
        #expect(handlers[EndToEndCluster.runtime] == "io.containerd.wasmtime.v1", "CRI handlers: \(handlers)")
        #expect(handlers["runc"] == "io.containerd.runc.v2", "CRI handlers: \(handlers)")
        // Started once by the test, restarted once by the installer.
        #expect(e2e.sandbox.startCount == 2)

        // A pod started by this containerd through the handler the operator had installed, over CRI as the
        // kubelet does (on containerd 1.6, which ignores runtime_path, this needs the shim link).
        let runtimeType = try #require(installed.runtimeType)
        let message = "hello from a pod started through \(runtimeType)"
        let run = try await criRunPod(socketPath: e2e.sandbox.socketPath, handler: EndToEndCluster.runtime, image: e2e.image,
                                      ["sh", "-c", "echo '\(message)'"])
        #expect(run.exitCode == 0, "CRI pod with handler \(EndToEndCluster.runtime): \(run)")
        #expect(run.stdout == message + "\n", "CRI pod with handler \(EndToEndCluster.runtime): \(run)")
    }

    // MARK: - Uninstall

    func uninstall(_ e2e: EndToEndCluster) async throws {
        let client = e2e.client
        let node = EndToEndCluster.nodeName
        _ = try await client.mergePatch(Node.self, name: node, patch: ["metadata": ["annotations": [Self.annotation: nil]]])

        // The node loses its label and its status object once the uninstall finished.
        _ = try await waitFor("WasmNodeStatus \(node) deleted and label \(Self.readinessLabel) removed", e2e) { () -> Bool? in
            let label = try await client.get(Node.self, name: node).metadata.labels?[Self.readinessLabel]
            let status = try await client.getIfExists(WasmNodeStatus.self, name: node)
            if let failed = status?.status, failed.phase == .failed {
                throw UninstallFailed(lastError: failed.lastError)
            }
            return label == nil && status == nil ? true : nil
        }

        // The host is as before the install: config byte for byte, shim gone, containerd without the runtime.
        #expect(e2e.hostConfig == e2e.originalConfig,
                "config.toml after uninstall:\n\(String(decoding: e2e.hostConfig, as: UTF8.self))")
        #expect(!FileManager.default.fileExists(atPath: e2e.hostPath(EndToEndCluster.shimHostPath)))
        let handlers = try await criLoadedHandlers(socketPath: e2e.sandbox.socketPath)
        #expect(handlers[EndToEndCluster.runtime] == nil, "CRI handlers: \(handlers)")
        #expect(handlers["runc"] == "io.containerd.runc.v2", "CRI handlers: \(handlers)")
        #expect(e2e.sandbox.startCount == 3)

        // Ordinary containers still run; the removed runtime no longer starts any.
        let message = "runc still works after the uninstall"
        let runc = try await criRunPod(socketPath: e2e.sandbox.socketPath, handler: "runc", image: e2e.image, ["sh", "-c", "echo '\(message)'"])
        #expect(runc.exitCode == 0, "CRI pod with handler runc: \(runc)")
        #expect(runc.stdout == message + "\n", "CRI pod with handler runc: \(runc)")
        await #expect(throws: (any Error).self, "the uninstalled handler still started a pod") {
            _ = try await criRunPod(socketPath: e2e.sandbox.socketPath, handler: EndToEndCluster.runtime, image: e2e.image, ["true"])
        }
    }

    // MARK: - Waiting

    struct UninstallFailed: Error, CustomStringConvertible {
        var lastError: WasmNodeStatus.LastError?
        var description: String { "the uninstall failed: \(String(describing: lastError))" }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out after \(OperatorEndToEndTests.deadline) waiting for \(what)" }
    }

    /// Polls `probe` until it returns a value; throws when the operator exits or the deadline passes.
    /// Errors from the probe (a request that failed once) are retried until the deadline.
    /// `kubectl annotate node … kwasm.sh/kwasm-node=true`, then `kubectl get wns -w` until the phase
    /// settles: Ready, Failed or Unsupported.
    func annotateAndWaitUntilSettled(_ e2e: EndToEndCluster) async throws -> WasmNodeStatus {
        let client = e2e.client
        let node = EndToEndCluster.nodeName
        _ = try await client.mergePatch(Node.self, name: node, patch: ["metadata": ["annotations": [Self.annotation: "true"]]])
        return try await waitFor("WasmNodeStatus \(node) to leave Pending/Installing", e2e) { () -> WasmNodeStatus? in
            let status = try await client.getIfExists(WasmNodeStatus.self, name: node)
            switch status?.status?.phase {
            case .ready?, .failed?, .unsupported?: return status
            default: return nil
            }
        }
    }

    func waitFor<T>(_ what: String, _ e2e: EndToEndCluster, _ probe: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + Self.deadline
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                if let value = try await probe() { return value }
            } catch let error as UninstallFailed {
                throw error
            } catch {
                lastError = error
            }
            guard e2e.operatorProcess.isRunning else {
                throw TimedOut(what: what + " (the operator exited)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TimedOut(what: what + (lastError.map { " (last error: \($0))" } ?? ""))
    }
}
