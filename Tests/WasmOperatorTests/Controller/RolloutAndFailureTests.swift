import ClusterSimulator
import FakeKubernetesAPI
import Foundation
import Synchronization
import KubernetesClient
import Testing
@testable import WasmOperator

@Suite(.serialized) struct RolloutAndFailureTests {
    @Test func failingInstallsRetryWithBackoffThenFail() async throws {
        let harness = try await OperatorHarness.start(behavior: { request in
            try? await Task.sleep(for: .milliseconds(20))
            return .failed(exitCode: 1, report: InstallerReports.failed(code: "ChecksumMismatch", message: "containerd-shim-spin-v2: sha256 mismatch"))
        })
        defer { Task { await harness.shutdown() } }
        try harness.addNodes(["bad"])
        try harness.startOperator(OperatorHarness.configuration { $0.maxAttempts = 3 })
        await eventually("Failed after 3 attempts") { harness.phase("bad") == "Failed" }
        let status = harness.status("bad")?["status"]
        #expect(status?["attempts"]?.intValue == 3)
        #expect(status?["lastError"]?["code"]?.stringValue == "ChecksumMismatch")
        #expect(harness.condition("bad", "Installed")?["reason"]?.stringValue == "ChecksumMismatch")
        #expect(harness.label("bad") == nil)
        #expect(harness.cluster.statistics.jobsCreated.count == 3)
        // Backoff: the attempts were spaced out (200 ms, then 400 ms).
        let created = harness.cluster.statistics.jobsCreated.count
        try await Task.sleep(for: .seconds(1))
        #expect(harness.cluster.statistics.jobsCreated.count == created, "no retries after Failed")
        await eventually("Warning events") { !harness.events(reason: "InstallFailed").isEmpty }
        #expect(harness.events(reason: "InstallFailed").first?["type"]?.stringValue == "Warning")
        #expect(harness.events(reason: "InstallFailed").first?["regarding"]?["kind"]?.stringValue == "Node")
    }

    @Test func flakyInstallSucceedsOnRetry() async throws {
        let calls = Mutex(0)
        let harness = try await OperatorHarness.start(behavior: { request in
            let call = calls.withLock { $0 += 1; return $0 }
            if call == 1 { return .deadlineExceeded }
            return .succeeded(report: SimulatedCluster.defaultReport(for: request))
        })
        defer { Task { await harness.shutdown() } }
        try harness.addNodes(["flaky"])
        try harness.startOperator()
        await eventually("Ready on the second attempt") { harness.phase("flaky") == "Ready" }
        #expect(harness.status("flaky")?["status"]?["attempts"]?.intValue == 2)
        #expect(harness.status("flaky")?["status"]?["lastError"] == nil)
    }

    @Test func rolloutCapIsNeverExceeded() async throws {
        let harness = try await OperatorHarness.start(behavior: SimulatedCluster.succeedAfter(.milliseconds(150)))
        defer { Task { await harness.shutdown() } }
        let names = (0..<25).map { "n\($0)" }
        try harness.addNodes(names)
        try harness.startOperator()  // auto cap: ceil(25/10) = 3
        await eventually("all Ready", timeout: .seconds(40)) { names.allSatisfy { harness.phase($0) == "Ready" } }
        #expect(harness.cluster.statistics.maxConcurrent <= 3)
        #expect(harness.cluster.statistics.maxConcurrent >= 2, "the cap should be used")
        #expect(harness.cluster.statistics.jobsCreated.count == 25, "\(harness.cluster.statistics.operationsByNode.filter { $0.value.count > 1 })")
    }

    @Test func specChangeReprovisionsUnderTheCap() async throws {
        let harness = try await OperatorHarness.start(behavior: SimulatedCluster.succeedAfter(.milliseconds(100)))
        defer { Task { await harness.shutdown() } }
        let names = (0..<6).map { "w\($0)" }
        try harness.addNodes(names)
        let first = try harness.startOperator(OperatorHarness.configuration { $0.maxParallel = 2 })
        await eventually("all Ready") { names.allSatisfy { harness.phase($0) == "Ready" } }
        let oldHash = harness.status("w0")?["status"]?["specHash"]?.stringValue
        await harness.stop(first)

        try harness.startOperator(OperatorHarness.configuration {
            $0.maxParallel = 2
            $0.installerImage = "ghcr.io/kwasm/installer:v2"
            $0.runtimes = try! KnownWasmRuntimes.default.resolve(["spin", "wasmtime", "wasmedge"])
        })
        await eventually("re-provisioned with the new spec", timeout: .seconds(30)) {
            names.allSatisfy {
                harness.phase($0) == "Ready" && harness.status($0)?["status"]?["installerImage"]?.stringValue == "ghcr.io/kwasm/installer:v2"
            }
        }
        #expect(harness.status("w0")?["status"]?["specHash"]?.stringValue != oldHash)
        #expect(harness.status("w0")?["status"]?["runtimeNames"]?.stringValue == "spin,wasmtime,wasmedge")
        #expect(harness.cluster.statistics.maxConcurrent <= 2)
        #expect(names.allSatisfy { harness.cluster.statistics.operationsByNode[$0] == ["install", "install"] })
        await eventually("wasmedge RuntimeClass") { harness.runtimeClasses() == ["spin", "wasmedge", "wasmtime"] }
    }

    @Test func removedRuntimesLoseTheirRuntimeClass() async throws {
        let harness = try await OperatorHarness.start()
        defer { Task { await harness.shutdown() } }
        let first = try harness.startOperator()
        await eventually("RuntimeClasses") { harness.runtimeClasses() == ["spin", "wasmtime"] }
        await harness.stop(first)
        try harness.startOperator(OperatorHarness.configuration { $0.runtimes = try! KnownWasmRuntimes.default.resolve(["wasmtime", "crun-wasmedge"]) })
        await eventually("spin removed, crun added") { harness.runtimeClasses() == ["crun", "wasmtime"] }
    }

    @Test func unsupportedNodeIsReportedAndLeftAlone() async throws {
        let harness = try await OperatorHarness.start(behavior: { _ in
            .failed(exitCode: 1, report: InstallerReports.failed(code: "ImmutableHost", message: "/usr is read-only", result: "unsupported"))
        })
        defer { Task { await harness.shutdown() } }
        try harness.addNodes(["talos"])
        try harness.startOperator()
        await eventually("Unsupported") { harness.phase("talos") == "Unsupported" }
        try await Task.sleep(for: .seconds(1))
        #expect(harness.cluster.statistics.jobsCreated.count == 1)
    }

    @Test func invalidAnnotationIsAWarningAndAStatus() async throws {
        let harness = try await OperatorHarness.start()
        defer { Task { await harness.shutdown() } }
        try harness.addNodes(["typo"], annotation: "yes")
        try harness.startOperator()
        await eventually("status says why") { harness.status("typo")?["status"]?["lastError"]?["code"]?.stringValue == "InvalidAnnotation" }
        #expect(harness.phase("typo") == "Failed")
        await eventually("Warning event") { harness.events(reason: "InvalidAnnotation").count == 1 }
        #expect(harness.cluster.statistics.jobsCreated.isEmpty)
        try harness.cluster.annotate("typo", "kwasm.sh/kwasm-node", "true")
        await eventually("installed once fixed") { harness.phase("typo") == "Ready" }
    }

    @Test func nodeSelectorSelectsNodesWithoutAnnotation() async throws {
        let harness = try await OperatorHarness.start()
        defer { Task { await harness.shutdown() } }
        try harness.cluster.addNode(SimulatedNode(name: "edge-1", labels: ["wasm": "yes"]))
        try harness.cluster.addNode(SimulatedNode(name: "other"))
        try harness.startOperator(OperatorHarness.configuration { $0.nodeSelector = try! LabelSelector(parsing: "wasm=yes") })
        await eventually("edge-1 Ready") { harness.phase("edge-1") == "Ready" }
        #expect(harness.status("other") == nil)
        try harness.cluster.label("edge-1", "wasm", nil)
        await eventually("deselected node uninstalled") { harness.status("edge-1") == nil && harness.label("edge-1") == nil }
    }
}
