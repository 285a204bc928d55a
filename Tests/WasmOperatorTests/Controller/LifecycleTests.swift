import ClusterSimulator
import FakeKubernetesAPI
import Foundation
import Testing
@testable import WasmOperator

/// Controller tests: the real operator and client against the fake API server over HTTP,
/// with the simulated kubelet running installer Jobs.
@Suite(.serialized) struct LifecycleTests {
    @Test func annotateInstallsThenRemovingUninstalls() async throws {
        let harness = try await OperatorHarness.start()
        defer { Task { await harness.shutdown() } }
        try harness.addNodes(["worker-1"])
        let kwasm = try harness.startOperator()

        await eventually("worker-1 Ready") { harness.phase("worker-1") == "Ready" }
        #expect(harness.label("worker-1") == "true")
        #expect(harness.condition("worker-1", "Ready")?["status"]?.stringValue == "True")
        #expect(harness.condition("worker-1", "Installed")?["status"]?.stringValue == "True")
        #expect(harness.status("worker-1")?["status"]?["runtimeNames"]?.stringValue == "spin,wasmtime")
        #expect(harness.status("worker-1")?["metadata"]?["ownerReferences"]?.arrayValue?.first?["kind"]?.stringValue == "Node")
        await eventually("RuntimeClasses") { harness.runtimeClasses() == ["spin", "wasmtime"] }
        let spin = harness.api.get(.runtimeClasses, name: "spin")
        #expect(spin?["handler"]?.stringValue == "spin")
        #expect(spin?["scheduling"]?["nodeSelector"]?["kwasm.sh/kwasm-provisioned"]?.stringValue == "true")
        #expect(spin?["metadata"]?["labels"]?["app.kubernetes.io/managed-by"]?.stringValue == "kwasm-operator")
        await eventually("finished install Job deleted") { harness.jobs().isEmpty }
        #expect(harness.cluster.statistics.jobsCreated == ["kwasm-install-worker-1"])

        try harness.cluster.annotate("worker-1", "kwasm.sh/kwasm-node", nil)
        await eventually("status deleted after uninstall") { harness.status("worker-1") == nil }
        #expect(harness.label("worker-1") == nil)
        #expect(harness.cluster.statistics.operationsByNode["worker-1"] == ["install", "uninstall"])
        await eventually("uninstall Job deleted") { harness.jobs().isEmpty }
        _ = kwasm
    }

    @Test func convergedNodesCauseZeroWrites() async throws {
        let harness = try await OperatorHarness.start()
        defer { Task { await harness.shutdown() } }
        try harness.addNodes(["a", "b", "c"])
        try harness.addNodes(["plain"], annotation: nil)
        try harness.startOperator()
        await eventually("all Ready") { ["a", "b", "c"].allSatisfy { harness.phase($0) == "Ready" } }
        await eventually("Jobs cleaned up") { harness.jobs().isEmpty }
        try await Task.sleep(for: .milliseconds(500))
        harness.api.resetRequestLog()
        // Touch every node (an unrelated label): each is reconciled again, none needs a write.
        for node in ["a", "b", "c", "plain"] { try harness.cluster.label(node, "touched", "yes") }
        try await Task.sleep(for: .seconds(2))
        let writes = harness.api.requestLog().filter(\.isWrite)
        // The test's label changes went in-process; the operator wrote nothing.
        #expect(writes.isEmpty, "unexpected writes: \(writes.map { "\($0.verb) \($0.path)" })")
    }

    @Test func writesPerInstalledNodeStayWithinBudget() async throws {
        let harness = try await OperatorHarness.start()
        defer { Task { await harness.shutdown() } }
        let names = (0..<10).map { "node-\($0)" }
        try harness.addNodes(names)
        harness.api.resetRequestLog()
        try harness.startOperator(OperatorHarness.configuration { $0.maxParallel = 10 })
        await eventually("all Ready") { names.allSatisfy { harness.phase($0) == "Ready" } }
        await eventually("Jobs cleaned up") { harness.jobs().isEmpty }
        try await Task.sleep(for: .milliseconds(300))
        let writes = harness.api.requestLog().filter(\.isWrite)
        let perNode = writes.filter { $0.resource != "runtimeclasses" && $0.resource != "events" }
        // Simulated kubelet writes (pods, job status) go in-process, not over HTTP.
        #expect(perNode.count <= 6 * names.count, "\(perNode.count) writes: \(Dictionary(grouping: perNode, by: { "\($0.verb) \($0.resource)" }).mapValues(\.count))")
    }
}
