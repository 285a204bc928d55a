import ClusterSimulator
import FakeKubernetesAPI
import Foundation
import Synchronization
import Testing
@testable import WasmOperator

@Suite(.serialized) struct ResilienceTests {
    @Test func driftIsDetectedAndRepaired() async throws {
        let drifted = Mutex(false)
        let harness = try await OperatorHarness.start(behavior: { request in
            try? await Task.sleep(for: .milliseconds(20))
            if request.operation == "status", drifted.withLock({ value in defer { value = false }; return value }) {
                return .succeeded(report: InstallerReports.status(drift: ["config: runtime spin is missing"]))
            }
            return .succeeded(report: SimulatedCluster.defaultReport(for: request))
        })
        defer { Task { await harness.shutdown() } }
        try harness.addNodes(["d1"])
        try harness.startOperator()
        await eventually("Ready") { harness.phase("d1") == "Ready" }

        // The node reboots; the check finds the config rewritten.
        drifted.withLock { $0 = true }
        try harness.cluster.setNodeInfo("d1", bootID: "boot-2")
        // The re-install's Job starts before the operator writes its status, so phase Ready alone may still
        // be the pre-drift one: wait for the Drifted event (written after that status) first.
        await eventually("Drifted event") { harness.events(reason: "Drifted").count == 1 }
        await eventually("re-installed after drift") {
            harness.cluster.statistics.operationsByNode["d1"] == ["install", "status", "install"] && harness.phase("d1") == "Ready"
                && harness.condition("d1", "Drifted") == nil
        }
        #expect(harness.label("d1") == "true")
        #expect(harness.condition("d1", "Drifted") == nil)
        #expect(harness.events(reason: "Drifted").count == 1)
        #expect(harness.status("d1")?["metadata"]?["annotations"]?["kwasm.sh/boot-id"]?.stringValue == "boot-2")
    }

    @Test func periodicDriftChecksRun() async throws {
        let harness = try await OperatorHarness.start()
        defer { Task { await harness.shutdown() } }
        try harness.addNodes(["p1"])
        try harness.startOperator(OperatorHarness.configuration { $0.driftInterval = .seconds(2) })
        await eventually("a periodic status check", timeout: .seconds(20)) {
            harness.cluster.statistics.operationsByNode["p1"]?.contains("status") == true
        }
        #expect(harness.phase("p1") == "Ready")
        #expect(harness.label("p1") == "true")
    }

    @Test func nodeDeletedMidInstallLeavesNothingBehind() async throws {
        let harness = try await OperatorHarness.start(behavior: { _ in .hang })
        defer { Task { await harness.shutdown() } }
        try harness.addNodes(["doomed"])
        try harness.startOperator()
        await eventually("installing") { harness.phase("doomed") == "Installing" && harness.jobs().count == 1 }
        try harness.cluster.deleteNode("doomed")
        await eventually("Job, Pod and status garbage-collected") {
            harness.jobs().isEmpty && harness.status("doomed") == nil
                && ((try? harness.api.list(.pods, namespace: "kwasm")) ?? []).isEmpty
        }
    }

    @Test func operatorRestartMidInstallCreatesNoDuplicateJobs() async throws {
        let release = Mutex(false)
        let harness = try await OperatorHarness.start(behavior: { request in
            while !release.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(20)) }
            return .succeeded(report: SimulatedCluster.defaultReport(for: request))
        })
        defer { Task { await harness.shutdown() } }
        let names = ["r1", "r2", "r3"]
        try harness.addNodes(names)
        let first = try harness.startOperator(OperatorHarness.configuration { $0.maxParallel = 3 })
        await eventually("all installing") { harness.jobs().count == 3 }
        await harness.kill(first)

        try harness.startOperator(OperatorHarness.configuration { $0.maxParallel = 3 })
        try await Task.sleep(for: .milliseconds(800))
        release.withLock { $0 = true }
        await eventually("all Ready") { names.allSatisfy { harness.phase($0) == "Ready" } }
        #expect(harness.cluster.statistics.jobsCreated.count == 3)
        #expect(names.allSatisfy { harness.status($0)?["status"]?["attempts"]?.intValue == 1 })

        // And a restart after convergence reinstalls nothing.
        await harness.stop(harness.operators.withLock { $0.last!.0 })
        try harness.startOperator(OperatorHarness.configuration { $0.maxParallel = 3 })
        try await Task.sleep(for: .seconds(1))
        #expect(harness.cluster.statistics.jobsCreated.count == 3)
    }

    @Test func leaderFailoverBetweenTwoOperators() async throws {
        let harness = try await OperatorHarness.start()
        defer { Task { await harness.shutdown() } }
        try harness.addNodes(["l1"])
        let configuration = OperatorHarness.configuration { $0.leaderElect = true }
        let a = try harness.startOperator(configuration, identity: "a")
        await eventually("Ready under the first leader") { harness.phase("l1") == "Ready" }
        let b = try harness.startOperator(configuration, identity: "b")
        try await Task.sleep(for: .milliseconds(500))
        let leaderBefore = harness.api.get(.leases, namespace: "kwasm", name: "kwasm-operator")?["spec"]?["holderIdentity"]?.stringValue
        #expect(leaderBefore == "a")

        // The leader dies without releasing; the standby takes over after the lease expires.
        await harness.kill(a)
        try harness.addNodes(["l2"])
        await eventually("the standby leads and installs", timeout: .seconds(20)) { harness.phase("l2") == "Ready" }
        #expect(harness.api.get(.leases, namespace: "kwasm", name: "kwasm-operator")?["spec"]?["holderIdentity"]?.stringValue == "b")
        #expect(harness.cluster.statistics.jobsCreated.filter { $0 == "kwasm-install-l1" }.count == 1)
        _ = b
    }

    @Test func everythingConvergesDespiteWatchDropsGoneAndConflicts() async throws {
        let harness = try await OperatorHarness.start(behavior: SimulatedCluster.succeedAfter(.milliseconds(80)))
        defer { Task { await harness.shutdown() } }
        let names = (0..<8).map { "f\($0)" }
        try harness.addNodes(names)
        try harness.startOperator(OperatorHarness.configuration { $0.maxParallel = 3 })
        let chaos = Task {
            for round in 0..<12 {
                try? await Task.sleep(for: .milliseconds(150))
                switch round % 4 {
                case 0: harness.api.dropAllWatches()
                case 1: harness.api.expireResourceVersions(); harness.api.endAllWatches()
                case 2: for name in names { harness.api.injectConflict(.wasmNodeStatuses, name: name) }
                default: harness.api.failNextRequests(3, with: .internalError)
                }
            }
        }
        await eventually("all Ready despite faults", timeout: .seconds(40)) {
            names.allSatisfy { harness.phase($0) == "Ready" && harness.label($0) == "true" }
        }
        await chaos.value
        harness.api.clearFaults()
        // Removing the annotation everywhere still converges.
        for name in names { try harness.cluster.annotate(name, "kwasm.sh/kwasm-node", "false") }
        harness.api.dropAllWatches()
        await eventually("all uninstalled", timeout: .seconds(40)) {
            names.allSatisfy { harness.status($0) == nil && harness.label($0) == nil }
        }
        let installs = harness.cluster.statistics.jobsCreated.filter { $0.hasPrefix("kwasm-install-") }
        #expect(Set(installs).count == names.count)
    }

    @Test func cleanupUninstallsEveryNodeAndRemovesEverything() async throws {
        let harness = try await OperatorHarness.start()
        defer { Task { await harness.shutdown() } }
        let names = (0..<5).map { "c\($0)" }
        try harness.addNodes(names)
        let running = try harness.startOperator()
        await eventually("all Ready") { names.allSatisfy { harness.phase($0) == "Ready" } }
        await harness.stop(running)

        let client = try OperatorHarness.makeClient(harness.api)
        let outcome = try await KwasmOperator.cleanup(
            configuration: OperatorHarness.configuration(), client: client, logger: harness.logger, timeout: .seconds(30),
            handleSignals: false)
        try? await client.shutdown()
        #expect(outcome.succeeded, "\(outcome.message)")
        #expect(names.allSatisfy { harness.status($0) == nil && harness.label($0) == nil })
        #expect(harness.runtimeClasses().isEmpty)
        #expect(names.allSatisfy { harness.cluster.statistics.operationsByNode[$0] == ["install", "uninstall"] })
    }

    @Test func probesAndMetricsAreServed() async throws {
        let harness = try await OperatorHarness.start()
        defer { Task { await harness.shutdown() } }
        try harness.addNodes(["m1"])
        let kwasm = try harness.startOperator()
        await eventually("Ready") { harness.phase("m1") == "Ready" }
        await eventually("ports bound") { kwasm.boundPorts.probes != nil && kwasm.boundPorts.metrics != nil }
        let probes = try #require(kwasm.boundPorts.probes)
        let metricsPort = try #require(kwasm.boundPorts.metrics)
        #expect(try await httpGet(port: probes, path: "/healthz").status == 200)
        #expect(try await httpGet(port: probes, path: "/readyz").status == 200)
        try await Task.sleep(for: .seconds(2.5))
        let metrics = try await httpGet(port: metricsPort, path: "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("kwasm_reconciles_total"))
        #expect(metrics.body.contains(#"kwasm_nodes{phase="Ready"} 1"#))
        #expect(metrics.body.contains("kwasm_reconcile_duration_seconds"))
        #expect(metrics.body.contains("kwasm_installer_jobs_in_flight"))
    }
}
