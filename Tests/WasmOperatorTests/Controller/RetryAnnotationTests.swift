import ClusterSimulator
import FakeKubernetesAPI
import Foundation
import Synchronization
import Testing
@testable import WasmOperator

@Suite(.serialized) struct RetryAnnotationTests {
    /// A node that gave up (Failed after --max-attempts) is retried when the user sets a new
    /// `kwasm.sh/retry` value, and only then.
    @Test func aNewRetryValueRetriesAFailedNode() async throws {
        let fixed = Mutex(false)
        let harness = try await OperatorHarness.start(behavior: { request in
            try? await Task.sleep(for: .milliseconds(20))
            if fixed.withLock({ $0 }) { return .succeeded(report: SimulatedCluster.defaultReport(for: request)) }
            return .failed(exitCode: 1, report: InstallerReports.failed(code: "ChecksumMismatch", message: "shim sha256 mismatch"))
        })
        defer { Task { await harness.shutdown() } }
        try harness.addNodes(["r1"])
        try harness.startOperator(OperatorHarness.configuration { $0.maxAttempts = 1 })
        await eventually("Failed") { harness.phase("r1") == "Failed" }
        #expect(harness.cluster.statistics.jobsCreated.count == 1)

        fixed.withLock { $0 = true }
        try harness.cluster.annotate("r1", WellKnown.retryAnnotation, "2026-11-22T10:00:00Z")
        await eventually("Ready after the retry") { harness.phase("r1") == "Ready" && harness.label("r1") == "true" }
        #expect(harness.cluster.statistics.jobsCreated.count == 2)
        #expect(harness.status("r1")?["status"]?["attempts"]?.intValue == 1)
        #expect(harness.status("r1")?["metadata"]?["annotations"]?[WellKnown.retryAnnotation]?.stringValue == "2026-11-22T10:00:00Z")
    }
}
