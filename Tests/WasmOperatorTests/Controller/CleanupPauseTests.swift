import ClusterSimulator
import FakeKubernetesAPI
import Foundation
import KubernetesClient
import Testing
@testable import WasmOperator

/// `helm uninstall` as Helm runs it: the pre-delete hook (`kwasm-operator cleanup`) runs while the
/// operator still runs and the nodes still carry the annotation; only afterwards does Helm delete
/// the release's objects (the pause Lease first, then the Deployment, whose pod stops a little later).
@Suite(.serialized) struct CleanupPauseTests {
    static let leaseName = "kwasm-operator-cleanup"

    /// The Lease the chart creates as a release object.
    static func createChartLease(_ harness: OperatorHarness) throws {
        try harness.api.create(.leases, ["metadata": ["name": .string(leaseName), "namespace": "kwasm"], "spec": [:]], namespace: "kwasm")
    }

    static func cleanup(_ harness: OperatorHarness) async throws -> CleanupOutcome {
        let client = try OperatorHarness.makeClient(harness.api)
        defer { Task { try? await client.shutdown() } }
        return try await KwasmOperator.cleanup(
            configuration: OperatorHarness.configuration(), client: client, logger: harness.logger, timeout: .seconds(60),
            handleSignals: false)
    }

    @Test func afterCleanupTheStillRunningOperatorNeverReinstallsAnything() async throws {
        let harness = try await OperatorHarness.start()
        defer { Task { await harness.shutdown() } }
        try Self.createChartLease(harness)
        let names = ["p0", "p1", "p2"]
        try harness.addNodes(names)
        let running = try harness.startOperator()
        await eventually("all Ready") { names.allSatisfy { harness.phase($0) == "Ready" } }
        #expect(!harness.runtimeClasses().isEmpty)

        let outcome = try await Self.cleanup(harness)
        #expect(outcome.succeeded, "\(outcome.message)")
        #expect(harness.runtimeClasses().isEmpty)
        #expect(names.allSatisfy { harness.status($0) == nil && harness.label($0) == nil })
        #expect(names.allSatisfy { harness.cluster.statistics.operationsByNode[$0] == ["install", "uninstall"] })
        let lease = harness.api.get(.leases, namespace: "kwasm", name: Self.leaseName)
        #expect(lease?["spec"]?["holderIdentity"]?.stringValue == CleanupPause.finishedHolder)

        // Helm deletes the Lease, the operator's pod runs on; every node still says "install me"
        // and changes meanwhile. Two pause polls and many RuntimeClass syncs later, nothing came back.
        let jobsAfterCleanup = harness.cluster.statistics.jobsCreated
        _ = try harness.api.delete(.leases, namespace: "kwasm", name: Self.leaseName)
        for name in names { try harness.cluster.annotate(name, "example.com/touched", "1") }
        try await Task.sleep(for: CleanupPause.pollInterval * 2 + .seconds(1))
        #expect(harness.runtimeClasses().isEmpty)
        #expect(names.allSatisfy { harness.status($0) == nil && harness.label($0) == nil })
        #expect(harness.cluster.statistics.jobsCreated == jobsAfterCleanup)
        #expect(running.pause?.isPaused == true)
        await harness.stop(running)

        // A re-install (the chart's fresh Lease, a new operator) is not paused.
        try Self.createChartLease(harness)
        try harness.startOperator()
        await eventually("Ready again after a re-install") { names.allSatisfy { harness.phase($0) == "Ready" } }
        #expect(!harness.runtimeClasses().isEmpty)
    }

    @Test func aCleanupThatHadToCreateThePauseLeaseDeletesIt() async throws {
        // post-delete hook: Helm already deleted the operator and the Lease.
        let harness = try await OperatorHarness.start()
        defer { Task { await harness.shutdown() } }
        try harness.addNodes(["q0"])
        let running = try harness.startOperator()
        await eventually("Ready") { harness.phase("q0") == "Ready" }
        await harness.stop(running)

        let outcome = try await Self.cleanup(harness)
        #expect(outcome.succeeded, "\(outcome.message)")
        #expect(harness.status("q0") == nil && harness.label("q0") == nil && harness.runtimeClasses().isEmpty)
        #expect(harness.api.get(.leases, namespace: "kwasm", name: Self.leaseName) == nil, "a re-install must be able to create it")
    }

    @Test func leaseStates() {
        let now = Date()
        func lease(_ holder: String?, renewed: Date?) -> Lease {
            Lease(metadata: ObjectMeta(name: Self.leaseName), spec: .init(holderIdentity: holder, renewTime: renewed.map { MicroTime($0) }))
        }
        #expect(CleanupPause.state(nil, now: now) == .running)
        #expect(CleanupPause.state(lease(nil, renewed: nil), now: now) == .running, "the chart's empty Lease")
        #expect(CleanupPause.state(lease(CleanupPause.holder, renewed: now), now: now) == .paused)
        #expect(CleanupPause.state(lease(CleanupPause.holder, renewed: Date(timeIntervalSince1970: 0)), now: now) == .running, "released after a failure")
        #expect(CleanupPause.state(lease(CleanupPause.finishedHolder, renewed: Date(timeIntervalSince1970: 0)), now: now) == .finished)
    }
}
