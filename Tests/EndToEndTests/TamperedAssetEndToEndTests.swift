import ContainerdSandbox
import Foundation
import KubernetesClient
import Testing

/// The installer image's shim does not match its `runtimes.json` (a corrupt pull, a bad mirror, a
/// tampered image). The real installer must refuse with `ChecksumMismatch` before it writes anything;
/// the operator retries up to `--max-attempts`, then shows phase Failed with the reason and a Warning
/// event, never labels the node, and the host — config bytes, files, the running containerd — is
/// exactly as before. Once the asset is good again, re-annotating the node (false, then true, as the
/// troubleshooting guide says) installs it and the node becomes Ready.
@Suite("Tampered asset refused end to end")
struct TamperedAssetEndToEndTests {
    static let maxAttempts = 2

    @Test(
        "corrupt shim in the catalog → ChecksumMismatch, Failed after max attempts, Warning event, no label, host untouched; fixed + re-annotated → Ready",
        .enabled(if: BuiltPrograms.endToEndAvailable), .timeLimit(.minutes(10)))
    func tamperedAssetIsRefused() async throws {
        let e2e = try await EndToEndCluster.start(operatorArguments: ["--max-attempts", String(Self.maxAttempts)])
        let steps = OperatorEndToEndTests()
        do {
            let good = try await tamper(e2e)
            try await refused(e2e, steps)
            try await repairedAndReannotated(e2e, steps, good: good)
        } catch {
            let status = try? await e2e.client.getIfExists(WasmNodeStatus.self, name: EndToEndCluster.nodeName)
            Issue.record("""
                the run stopped early; WasmNodeStatus phase \(status?.status?.phase.map(\.rawValue) ?? "none"), \
                attempts \(status?.status?.attempts.map(String.init) ?? "none"), \
                lastError \(status?.status?.lastError.map { "\($0.code): \($0.message ?? "")" } ?? "none")
                operator log (last lines):
                \(e2e.operatorProcess.logTail())
                """)
            await e2e.tearDown()
            throw error
        }
        await e2e.tearDown()
    }

    var shimAsset: String { "bin/" + EndToEndCluster.shimFile }

    /// Flips bytes in the middle of the catalog's shim (same size, so only the checksum can tell);
    /// returns the good bytes.
    func tamper(_ e2e: EndToEndCluster) async throws -> Data {
        let path = e2e.assets + "/" + shimAsset
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        var bad = good
        let middle = bad.count / 2
        for index in middle..<(middle + 16) { bad[index] ^= 0xFF }
        try EndToEndCluster.writeAtomically(bad, to: path)
        #expect(try await EndToEndCluster.sha256(of: path) != e2e.shimSHA256)
        return good
    }

    func refused(_ e2e: EndToEndCluster, _ steps: OperatorEndToEndTests) async throws {
        let client = e2e.client
        let node = EndToEndCluster.nodeName
        let treeBefore = e2e.hostTree()
        let containerdBefore = e2e.sandbox.pid
        let labels = e2e.recordReadinessLabel()
        let statuses = e2e.recordStatus()
        defer {
            labels.stop()
            statuses.stop()
        }

        let status = try await steps.annotateAndWaitUntilSettled(e2e)
        try #require(status.status?.phase == .failed, "status history: \(statuses.recorded)")

        // `kubectl get wns -o wide` / `describe`: Failed after the configured attempts, the reason named.
        #expect(status.status?.attempts == Self.maxAttempts, "status history: \(statuses.recorded)")
        let lastError = try #require(status.status?.lastError)
        #expect(lastError.code == "ChecksumMismatch")
        #expect(lastError.message?.contains(EndToEndCluster.shimFile) == true, "lastError: \(lastError)")
        for (type, reason) in [("Installed", "ChecksumMismatch"), ("Ready", "ChecksumMismatch")] {
            let condition = status.status?.conditions?.first { $0.type == type }
            #expect(condition?.status == "False" && condition?.reason == reason, "condition \(type): \(String(describing: condition))")
        }
        // Each attempt was a real installer run that failed: attempt 1, then (after the backoff) attempt 2.
        let history = statuses.recorded
        #expect(history.contains { $0.phase == "Installing" && $0.attempts == 1 }, "status history: \(history)")
        #expect(history.contains { $0.phase == "Installing" && $0.attempts == Self.maxAttempts }, "status history: \(history)")
        #expect(!history.contains { $0.phase == "Ready" }, "status history: \(history)")

        // `kubectl get events`: Warning InstallFailed on the Node, naming the code. The operator
        // records events after it writes the status, so the last one may land a moment later.
        let events = try await steps.waitFor("the InstallFailed event that gives up on Node \(node)", e2e) { () -> [Event]? in
            let events = try await client.list(Event.self).items.filter {
                $0.reason == "InstallFailed" && $0.regarding?.kind == "Node" && $0.regarding?.name == node
            }
            return events.contains { $0.note?.contains("giving up") == true } ? events : nil
        }
        #expect(!events.isEmpty, "no InstallFailed event for Node \(node)")
        #expect(events.allSatisfy { $0.type == "Warning" }, "events: \(events.map { "\($0.type ?? "") \($0.note ?? "")" })")
        #expect(events.contains { $0.note?.contains("ChecksumMismatch") == true && $0.note?.contains("giving up") == true },
                "events: \(events.map { $0.note ?? "" })")

        // Never labelled: no wasm pod was ever scheduled here. The RuntimeClass still selects only labelled nodes.
        #expect(labels.recorded == [ReadinessLabel(value: nil)], "label history: \(labels.recorded)")
        let runtimeClass = try await client.getIfExists(RuntimeClass.self, name: EndToEndCluster.runtime)
        #expect(runtimeClass?.scheduling?.nodeSelector == [OperatorEndToEndTests.readinessLabel: "true"])

        // The host is untouched: config bytes, every file the installer could write, the same containerd.
        try await expectHostUntouched(e2e, treeBefore: treeBefore, containerdBefore: containerdBefore)
    }

    func expectHostUntouched(_ e2e: EndToEndCluster, treeBefore: [String: HostEntry], containerdBefore: Int32?) async throws {
        #expect(e2e.hostConfig == e2e.originalConfig, "config.toml:\n\(String(decoding: e2e.hostConfig, as: UTF8.self))")
        let changes = EndToEndCluster.differences(treeBefore, e2e.hostTree())
        #expect(changes.isEmpty, "host changed:\n\(changes.joined(separator: "\n"))")
        #expect(!FileManager.default.fileExists(atPath: e2e.hostPath(EndToEndCluster.shimHostPath)))
        #expect(e2e.sandbox.startCount == 1, "containerd was restarted")
        #expect(containerdBefore != nil && e2e.sandbox.pid == containerdBefore)
        let handlers = try await criLoadedHandlers(socketPath: e2e.sandbox.socketPath)
        #expect(handlers[EndToEndCluster.runtime] == nil, "CRI handlers: \(handlers)")
        #expect(handlers["runc"] == "io.containerd.runc.v2", "CRI handlers: \(handlers)")
    }

    func repairedAndReannotated(_ e2e: EndToEndCluster, _ steps: OperatorEndToEndTests, good: Data) async throws {
        let client = e2e.client
        let node = EndToEndCluster.nodeName
        // The cause fixed (the image re-pulled by digest): the asset matches runtimes.json again.
        try EndToEndCluster.writeAtomically(good, to: e2e.assets + "/" + shimAsset)
        #expect(try await EndToEndCluster.sha256(of: e2e.assets + "/" + shimAsset) == e2e.shimSHA256)

        // "fix the cause and re-annotate": false (the operator lets go of the node; there is nothing to
        // take off the host) …
        let treeBefore = e2e.hostTree()
        let containerdBefore = e2e.sandbox.pid
        _ = try await client.mergePatch(Node.self, name: node, patch: ["metadata": ["annotations": [OperatorEndToEndTests.annotation: "false"]]])
        _ = try await steps.waitFor("WasmNodeStatus \(node) gone after annotating false", e2e) { () -> Bool? in
            let status = try await client.getIfExists(WasmNodeStatus.self, name: node)
            if let failed = status?.status, failed.phase == .failed, failed.lastJob?.hasPrefix("kwasm-uninstall-") == true {
                throw OperatorEndToEndTests.UninstallFailed(lastError: failed.lastError)
            }
            return status == nil ? true : nil
        }
        try await expectHostUntouched(e2e, treeBefore: treeBefore, containerdBefore: containerdBefore)

        // … then true: a fresh install with the good asset, Ready, and a container through the runtime.
        try await steps.install(e2e)
        let status = try await client.get(WasmNodeStatus.self, name: node)
        #expect(status.status?.attempts == 1, "attempts: \(String(describing: status.status?.attempts))")
        #expect(status.status?.lastError == nil, "lastError: \(String(describing: status.status?.lastError))")
    }
}
