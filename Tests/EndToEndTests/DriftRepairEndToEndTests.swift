import ContainerdSandbox
import Foundation
import KubernetesClient
import Testing

/// A Ready node loses its runtime the way nodes do in the field: a cloud agent or kubespray run
/// rewrites `/etc/containerd/config.toml` with its own (the pre-install) bytes and restarts containerd.
/// The operator's periodic drift check — a real `kwasm-node-installer status` Job against the
/// sandboxed containerd — must notice, take the readiness label away (so no new wasm pod is
/// scheduled onto a node that cannot run it), say so (`Drifted` condition and Warning event),
/// re-install, and bring the node back to Ready with the label; then a container runs through the
/// runtime again.
@Suite("Drift repaired end to end")
struct DriftRepairEndToEndTests {
    /// Short, so the test does not wait minutes; the operator jitters it by ±10 %.
    static let driftInterval = "3s"

    @Test(
        "Ready → another tool rewrites containerd's config and restarts it → drift check → label removed, Drifted → re-install → Ready, a container runs",
        .enabled(if: BuiltPrograms.endToEndAvailable), .timeLimit(.minutes(10)))
    func rewrittenConfigIsRepaired() async throws {
        let e2e = try await EndToEndCluster.start(operatorArguments: ["--drift-interval", Self.driftInterval])
        let steps = OperatorEndToEndTests()
        do {
            try await steps.install(e2e)
            try await healthyNodeStaysReady(e2e, steps)
            try await driftIsRepaired(e2e, steps)
        } catch {
            let status = try? await e2e.client.getIfExists(WasmNodeStatus.self, name: EndToEndCluster.nodeName)
            Issue.record("""
                the run stopped early; WasmNodeStatus phase \(status?.status?.phase.map(\.rawValue) ?? "none"), \
                conditions \(status?.status?.conditions?.map { "\($0.type)=\($0.status)/\($0.reason)" } ?? []), \
                lastError \(status?.status?.lastError.map { "\($0.code): \($0.message ?? "")" } ?? "none")
                operator log (last lines):
                \(e2e.operatorProcess.logTail())
                """)
            await e2e.tearDown()
            throw error
        }
        await e2e.tearDown()
    }

    /// Drift checks of an unchanged node pass without a flicker: Ready, labelled, nothing restarted.
    func healthyNodeStaysReady(_ e2e: EndToEndCluster, _ steps: OperatorEndToEndTests) async throws {
        let client = e2e.client
        let node = EndToEndCluster.nodeName
        let labels = e2e.recordReadinessLabel()
        defer { labels.stop() }
        let installed = try #require(try await client.get(WasmNodeStatus.self, name: node).status?.installedTime?.date)
        let checked = try await steps.waitFor("a drift check after the install (lastCheckedTime after installedTime)", e2e) {
            () -> WasmNodeStatus? in
            let status = try await client.get(WasmNodeStatus.self, name: node)
            return (status.status?.lastCheckedTime?.date ?? .distantPast) > installed ? status : nil
        }
        #expect(checked.status?.phase == .ready)
        #expect(checked.status?.conditions?.contains { $0.type == "Drifted" } == false,
                "conditions: \(String(describing: checked.status?.conditions))")
        #expect(checked.status?.lastError == nil, "lastError: \(String(describing: checked.status?.lastError))")
        #expect(labels.recorded == [ReadinessLabel(value: "true")], "label history: \(labels.recorded)")
        #expect(e2e.sandbox.startCount == 2, "a drift check must not restart containerd")
    }

    func driftIsRepaired(_ e2e: EndToEndCluster, _ steps: OperatorEndToEndTests) async throws {
        let client = e2e.client
        let node = EndToEndCluster.nodeName
        let labels = e2e.recordReadinessLabel()
        let statuses = e2e.recordStatus()
        defer {
            labels.stop()
            statuses.stop()
        }
        let firstInstall = try #require(try await client.get(WasmNodeStatus.self, name: node).status?.installedTime?.date)

        // Another tool puts its own config back (the bytes the node had before the install) and restarts
        // containerd. The test holds the installer's host lock meanwhile so that no drift check sees the
        // new file with the old containerd still running (on a node that window exists too, and the
        // check repairs it all the same — but containerd's restart count would then vary).
        try await offPool {
            try e2e.holdingHostLock {
                try EndToEndCluster.writeAtomically(e2e.originalConfig, to: e2e.sandbox.configPath)
                try e2e.sandbox.restart(timeout: 60)
            }
        }
        #expect(e2e.sandbox.startCount == 3)

        // The user-visible sequence: the label goes away, the status says Drifted, and after the
        // re-install the node is Ready and labelled again.
        let final = try await steps.waitFor("label removed, Drifted, then Ready and labelled again", e2e) { () -> WasmNodeStatus? in
            let history = labels.recorded
            guard let removed = history.firstIndex(of: ReadinessLabel(value: nil)),
                  history[removed...].contains(ReadinessLabel(value: "true")),
                  statuses.recorded.contains(where: { $0.conditions["Drifted"]?.hasPrefix("True") == true })
            else { return nil }
            let status = try await client.get(WasmNodeStatus.self, name: node)
            guard status.status?.phase == .ready,
                  try await client.get(Node.self, name: node).metadata.labels?[OperatorEndToEndTests.readinessLabel] == "true"
            else { return nil }
            return status
        }
        #expect(labels.recorded == [ReadinessLabel(value: "true"), ReadinessLabel(value: nil), ReadinessLabel(value: "true")],
                "label history: \(labels.recorded)")

        // `kubectl get wns -w`: Ready, then not Ready with Drifted=True while it re-installs (the operator
        // starts the install in the same step that records the drift), then Ready without Drifted.
        let history = statuses.recorded
        let drifted = try #require(history.firstIndex { $0.conditions["Drifted"] == "True/Drifted" },
                                   "status history: \(history)")
        #expect(history[..<drifted].allSatisfy { $0.phase == "Ready" }, "status history: \(history)")
        #expect(history[drifted].conditions["Ready"]?.hasPrefix("False/") == true, "status history: \(history)")
        #expect(["Pending", "Installing"].contains(history[drifted].phase), "status history: \(history)")
        #expect(history[drifted...].contains { $0.phase == "Installing" }, "status history: \(history)")
        #expect(history.last?.phase == "Ready", "status history: \(history)")
        #expect(history.last?.conditions["Drifted"] == nil, "status history: \(history)")

        // `kubectl describe wns`: Ready again, the drift gone from the conditions, a new install recorded.
        for type in ["Installed", "RuntimeVerified", "Ready"] {
            let condition = final.status?.conditions?.first { $0.type == type }
            #expect(condition?.status == "True", "condition \(type): \(String(describing: condition))")
        }
        #expect(final.status?.conditions?.contains { $0.type == "Drifted" } == false,
                "conditions: \(String(describing: final.status?.conditions))")
        #expect((final.status?.installedTime?.date ?? .distantPast) > firstInstall)
        #expect(final.status?.lastError == nil, "lastError: \(String(describing: final.status?.lastError))")

        // `kubectl get events`: a Warning `Drifted` on the Node that names the missing runtime.
        let events = try await client.list(Event.self).items.filter {
            $0.reason == "Drifted" && $0.regarding?.kind == "Node" && $0.regarding?.name == node
        }
        let event = try #require(events.first, "no Drifted event for Node \(node)")
        #expect(event.type == "Warning")
        #expect(event.note?.contains(EndToEndCluster.runtime) == true, "Drifted event: \(String(describing: event.note))")

        // The host is repaired: the runtime back in the config (runc kept), containerd restarted once
        // more by the installer and serving the handler again.
        let config = String(decoding: e2e.hostConfig, as: UTF8.self)
        #expect(config.contains(#"[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtime]"#), "config.toml:\n\(config)")
        #expect(config.contains(#"[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]"#), "config.toml:\n\(config)")
        let handlers = try await criLoadedHandlers(socketPath: e2e.sandbox.socketPath)
        #expect(handlers[EndToEndCluster.runtime] == "io.containerd.wasmtime.v1", "CRI handlers: \(handlers)")
        #expect(handlers["runc"] == "io.containerd.runc.v2", "CRI handlers: \(handlers)")
        #expect(e2e.sandbox.startCount == 4)
        let hostDigest = try await EndToEndCluster.sha256(of: e2e.hostPath(EndToEndCluster.shimHostPath))
        #expect(hostDigest == e2e.shimSHA256)

        // And a pod starts through the handler again (CRI, as the kubelet would).
        let message = "hello again after the drift was repaired"
        let run = try await criRunPod(socketPath: e2e.sandbox.socketPath, handler: EndToEndCluster.runtime, image: e2e.image,
                                      ["sh", "-c", "echo '\(message)'"])
        #expect(run.exitCode == 0, "CRI pod with handler \(EndToEndCluster.runtime): \(run)")
        #expect(run.stdout == message + "\n", "CRI pod with handler \(EndToEndCluster.runtime): \(run)")
    }
}
