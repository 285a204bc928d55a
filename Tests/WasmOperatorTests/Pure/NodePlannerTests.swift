import Foundation
import KubernetesClient
import Testing
@testable import WasmOperator

@Suite struct NodePlannerTests {
    @Test func annotatedNodeGoesThroughInstallToReady() throws {
        var world = PlannerWorld()
        let first = world.step()
        #expect(first.createStatusObject?.metadata.name == "worker-1")
        #expect(first.createStatusObject?.metadata.ownerReferences?.first?.uid == "uid-1")
        #expect(first.createStatusObject?.metadata.annotations?[WellKnown.bootIDAnnotation] == "boot-1")
        #expect(first.startJob == .init(operation: .install, attempt: 1))
        #expect(world.phase == .installing)
        #expect(world.status?.status?.lastJob == "kwasm-install-worker-1")
        #expect(world.status?.status?.attempts == 1)
        #expect(world.condition("Ready")?.status == "False")
        #expect(world.label == nil)

        // While the Job runs nothing more is written.
        #expect(!world.step().hasWrites)

        world.finishJob(.install, report: PlannerWorld.installed())
        let done = world.step()
        #expect(done.deleteJobs == ["kwasm-install-worker-1"])
        #expect(done.label == .set)
        #expect(world.phase == .ready)
        #expect(world.label == "true")
        #expect(world.condition("Installed")?.status == "True")
        #expect(world.condition("RuntimeVerified")?.status == "True")
        #expect(world.condition("Ready")?.reason == "Verified")
        #expect(world.status?.status?.runtimeNames == "spin,wasmtime")
        #expect(world.status?.status?.containerd?.version == "1.6.20")
        #expect(world.status?.status?.installerImage == "img:1")
        #expect(world.status?.status?.specHash == SpecHash.compute(world.configuration))
        #expect(world.status?.status?.lastError == nil)
        #expect(world.jobs.isEmpty)
        // Write budget: create status, create Job, status Installing, status Ready, label, delete Job.
        #expect(world.writes == 6)
        #expect(world.events.isEmpty)
    }

    @Test func convergedNodeNeedsNoWrites() {
        var world = PlannerWorld()
        world.settle()
        world.finishJob(.install, report: PlannerWorld.installed())
        world.settle()
        let plan = world.plan()
        #expect(!plan.hasWrites)
        #expect(plan.requeueAfter != nil)  // the next drift check
        world.now += 30
        #expect(!world.plan().hasWrites)
    }

    @Test func failuresRetryWithBackoffThenGiveUp() throws {
        var configuration = PlannerWorld.defaultConfiguration
        configuration.maxAttempts = 3
        var world = PlannerWorld(configuration: configuration)
        world.step()
        world.finishJob(.install, report: PlannerWorld.failed("ChecksumMismatch"))
        let failed = world.step()
        #expect(world.phase == .pending)
        #expect(world.status?.status?.lastError?.code == "ChecksumMismatch")
        #expect(world.condition("Installed")?.reason == "ChecksumMismatch")
        #expect(failed.events.map(\.reason) == ["InstallFailed"])
        #expect(failed.events.first?.type == "Warning")
        #expect(failed.startJob == nil)
        #expect(failed.requeueAfter == .seconds(10))

        // Before the backoff elapses, nothing happens.
        world.now += 5
        #expect(!world.step().hasWrites)
        world.now += 6
        #expect(world.step().startJob == .init(operation: .install, attempt: 2))
        world.finishJob(.install, report: nil, failed: true)
        world.step()
        #expect(world.status?.status?.lastError?.code == "JobFailed")
        world.now += 19
        #expect(world.step().startJob == nil)  // second backoff is 20 s
        world.now += 2
        #expect(world.step().startJob == .init(operation: .install, attempt: 3))
        world.finishJob(.install, report: PlannerWorld.failed("VerificationFailed"))
        world.step()
        #expect(world.phase == .failed)
        #expect(world.events.last?.note.contains("giving up") == true)
        world.now += 3600
        #expect(!world.step().hasWrites)
        #expect(world.jobsCreated.count == 3)

        // A spec change retries from attempt 1.
        world.configuration.installerImage = "img:2"
        #expect(world.step().startJob == .init(operation: .install, attempt: 1))
    }

    @Test func aNewRetryAnnotationValueRetriesAFailedNodeOnce() throws {
        var configuration = PlannerWorld.defaultConfiguration
        configuration.maxAttempts = 1
        var world = PlannerWorld(configuration: configuration)
        world.step()
        world.finishJob(.install, report: PlannerWorld.failed("ChecksumMismatch"))
        world.step()
        #expect(world.phase == .failed)
        world.now += 3600
        #expect(!world.step().hasWrites, "Failed stays Failed")

        // `kubectl annotate node worker-1 kwasm.sh/retry=1`: a fresh round of attempts, at once.
        world.node?.metadata.annotations?[WellKnown.retryAnnotation] = "1"
        let retry = world.step()
        #expect(retry.startJob == .init(operation: .install, attempt: 1))
        #expect(world.status?.metadata.annotations?[WellKnown.retryAnnotation] == "1", "the value acted on is recorded")
        world.finishJob(.install, report: PlannerWorld.failed("ChecksumMismatch"))
        world.step()
        #expect(world.phase == .failed)
        world.now += 3600
        #expect(!world.step().hasWrites, "the same value does not retry again")

        world.node?.metadata.annotations?[WellKnown.retryAnnotation] = "2"
        #expect(world.step().startJob == .init(operation: .install, attempt: 1))
        world.finishJob(.install, report: PlannerWorld.installed())
        world.settle()
        #expect(world.phase == .ready)
        #expect(world.status?.status?.attempts == 1)
        #expect(world.jobsCreated.count == 3)
    }

    @Test func unsupportedNodesAreNotRetried() {
        var world = PlannerWorld()
        world.step()
        world.finishJob(.install, report: PlannerWorld.failed("ImmutableHost", result: .unsupported))
        world.step()
        #expect(world.phase == .unsupported)
        #expect(world.events.map(\.reason) == ["Unsupported"])
        world.now += 3600
        #expect(!world.step().hasWrites)
    }

    @Test func waitsForARolloutSlot() {
        var world = PlannerWorld()
        world.slotAvailable = false
        let plan = world.step()
        #expect(plan.startJob == nil)
        // Listed at once, with an empty phase until its turn: no status write while it queues.
        #expect(plan.createStatusObject != nil)
        #expect(plan.status == nil)
        #expect(world.phase == nil)
        #expect(!world.step().hasWrites)
        world.slotAvailable = true
        let started = world.step()
        #expect(started.startJob?.operation == .install)
        #expect(world.phase == .installing)
    }

    @Test func aNodeWithAPhaseSaysItWaitsForARolloutSlot() {
        var world = PlannerWorld()
        world.node?.status?.conditions = [.init(type: "Ready", status: "False")]
        world.step()
        #expect(world.condition("Ready")?.reason == "NodeNotReady")
        world.node?.status?.conditions = [.init(type: "Ready", status: "True")]
        world.slotAvailable = false
        world.step()
        #expect(world.phase == .pending)
        #expect(world.condition("Ready")?.reason == "WaitingForRolloutSlot")
        #expect(!world.step().hasWrites)
    }

    @Test func specChangeReprovisionsButKeepsServingUntilItsTurn() {
        var world = PlannerWorld()
        world.step()
        world.finishJob(.install, report: PlannerWorld.installed())
        world.settle()
        world.configuration.installerImage = "img:2"
        world.slotAvailable = false
        #expect(!world.step().hasWrites)
        #expect(world.phase == .ready)
        #expect(world.label == "true")
        world.slotAvailable = true
        let plan = world.step()
        #expect(plan.startJob == .init(operation: .install, attempt: 1))
        #expect(world.label == nil)
        #expect(world.phase == .installing)
        world.finishJob(.install, report: PlannerWorld.installed(result: .installed))
        world.settle()
        #expect(world.phase == .ready)
        #expect(world.status?.status?.installerImage == "img:2")
        #expect(world.label == "true")
    }

    @Test func periodicDriftCheckFindsDriftAndReinstalls() throws {
        var world = PlannerWorld()
        world.step()
        world.finishJob(.install, report: PlannerWorld.installed())
        world.settle()
        world.now += 700
        #expect(world.step().startJob == .init(operation: .status, attempt: 1))
        #expect(world.phase == .ready)  // checking does not demote
        var report = InstallerReport(operation: .status, result: .drifted)
        report.drift = ["config: runtime spin is missing"]
        world.finishJob(.status, report: report)
        let drifted = world.step()
        #expect(drifted.label == .remove)
        #expect(world.condition("Drifted")?.status == "True")
        #expect(world.condition("Drifted")?.message.contains("spin is missing") == true)
        #expect(world.condition("Ready")?.status == "False")
        #expect(drifted.events.map(\.reason) == ["Drifted"])
        #expect(drifted.startJob?.operation == .install)
        world.finishJob(.install, report: PlannerWorld.installed(result: .installed))
        world.settle()
        #expect(world.phase == .ready)
        #expect(world.condition("Drifted") == nil)
        #expect(world.label == "true")
    }

    @Test func cleanCheckOnlyRecordsTheTime() {
        var world = PlannerWorld()
        world.step()
        world.finishJob(.install, report: PlannerWorld.installed())
        world.settle()
        world.now += 700
        world.step()
        world.finishJob(.status, report: InstallerReport(operation: .status, result: .installed))
        let plan = world.step()
        #expect(plan.label == nil)
        #expect(world.status?.status?.lastCheckedTime == Time(world.now.wholeSeconds))
        #expect(!world.step().hasWrites)
    }

    @Test func rebootOrContainerdUpgradeTriggersACheck() {
        var world = PlannerWorld()
        world.step()
        world.finishJob(.install, report: PlannerWorld.installed())
        world.settle()
        world.node?.status?.nodeInfo?.bootID = "boot-2"
        #expect(world.step().startJob?.operation == .status)
        world.finishJob(.status, report: InstallerReport(operation: .status, result: .installed))
        let plan = world.step()
        #expect(plan.statusAnnotations == [WellKnown.bootIDAnnotation: "boot-2"])
        #expect(!world.step().hasWrites)
        world.node?.status?.nodeInfo?.containerRuntimeVersion = "containerd://2.0.0"
        #expect(world.step().startJob?.operation == .status)
    }

    @Test func annotationRemovalUninstallsAndDeletesTheStatus() {
        var world = PlannerWorld()
        world.step()
        world.finishJob(.install, report: PlannerWorld.installed())
        world.settle()
        world.node?.metadata.annotations = [:]
        let plan = world.step()
        #expect(plan.label == .remove)
        #expect(plan.startJob == .init(operation: .uninstall, attempt: 1))
        #expect(world.phase == .uninstalling)
        var report = InstallerReport(operation: .uninstall, result: .uninstalled)
        report.restarted = true
        world.finishJob(.uninstall, report: report)
        let done = world.step()
        #expect(done.deleteStatusObject)
        #expect(world.status == nil)
        #expect(world.jobs.isEmpty)
        #expect(!world.step().hasWrites)
    }

    @Test func annotationFalseOnAFreshNodeDoesNothing() {
        var world = PlannerWorld(annotation: "false")
        #expect(!world.step().hasWrites)
        var unannotated = PlannerWorld(annotation: nil)
        #expect(!unannotated.step().hasWrites)
    }

    @Test func invalidAnnotationIsReportedOnce() {
        var world = PlannerWorld(annotation: "yes")
        let plan = world.step()
        #expect(plan.startJob == nil)
        #expect(world.phase == .failed)
        #expect(world.status?.status?.lastError?.code == "InvalidAnnotation")
        #expect(world.condition("Ready")?.reason == "InvalidAnnotation")
        #expect(plan.events.map(\.reason) == ["InvalidAnnotation"])
        #expect(!world.step().hasWrites)
        // Fixing it installs.
        world.node?.metadata.annotations?[WellKnown.nodeAnnotation] = "true"
        #expect(world.step().startJob?.operation == .install)
    }

    @Test func invalidAnnotationOnAnInstalledNodeUninstalls() {
        var world = PlannerWorld()
        world.step()
        world.finishJob(.install, report: PlannerWorld.installed())
        world.settle()
        world.node?.metadata.annotations?[WellKnown.nodeAnnotation] = "maybe"
        #expect(world.step().startJob?.operation == .uninstall)
        world.finishJob(.uninstall, report: InstallerReport(operation: .uninstall, result: .uninstalled))
        world.step()
        #expect(world.phase == .failed)
        #expect(world.status?.status?.lastError?.code == "InvalidAnnotation")
        #expect(world.status?.status?.specHash == nil)
        #expect(!world.step().hasWrites)
    }

    @Test func waitsForTheKubeletToPublishHandlers() {
        var world = PlannerWorld()
        world.node?.status?.runtimeHandlers = [.init(name: ""), .init(name: "runc")]
        world.step()
        world.finishJob(.install, report: PlannerWorld.installed())
        world.step()
        #expect(world.phase == .installing)
        #expect(world.condition("RuntimeVerified")?.reason == "WaitingForKubelet")
        #expect(world.label == nil)
        #expect(!world.step().hasWrites)
        world.node?.status?.runtimeHandlers = [.init(name: "runc"), .init(name: "spin"), .init(name: "wasmtime")]
        world.step()
        #expect(world.phase == .ready)
        #expect(world.condition("RuntimeVerified")?.message.contains("kubelet lists them") == true)
        #expect(world.label == "true")
    }

    @Test func missingHandlersTimeOutAsAFailedAttempt() {
        var world = PlannerWorld()
        world.node?.status?.runtimeHandlers = [.init(name: "runc")]
        world.step()
        world.finishJob(.install, report: PlannerWorld.installed())
        world.step()
        world.now += 301
        world.step()
        #expect(world.phase == .pending)
        #expect(world.status?.status?.lastError?.code == "RuntimeHandlersMissing")
    }

    @Test func notReadyNodesWait() {
        var world = PlannerWorld()
        world.node?.status?.conditions = [.init(type: "Ready", status: "False")]
        let plan = world.step()
        #expect(plan.startJob == nil)
        #expect(world.condition("Ready")?.reason == "NodeNotReady")
    }

    @Test func nodeGoingNotReadyDuringInstallIsReported() {
        var world = PlannerWorld()
        world.step()
        world.node?.status?.conditions = [.init(type: "Ready", status: "False")]
        world.step()
        #expect(world.condition("Ready")?.reason == "NodeNotReady")
        #expect(world.jobsCreated.count == 1)
    }

    @Test func deletedNodesNeedNothing() {
        var world = PlannerWorld()
        world.step()
        world.node = nil
        #expect(!world.step().hasWrites)
    }

    @Test func restartAfterJobCreatedButBeforeStatusUpdateResumes() {
        var world = PlannerWorld()
        let plan = world.plan()
        // Simulate a crash: the Job and status object were created, the status update was lost.
        var partial = plan
        partial.status = nil
        world.apply(partial)
        #expect(world.phase == nil)
        let resumed = world.step()
        #expect(resumed.startJob == nil)
        #expect(world.phase == .installing)
        #expect(world.status?.status?.lastJob == "kwasm-install-worker-1")
        #expect(world.jobsCreated.count == 1)
    }

    @Test func restartAfterJobFinishedRecordsItsResult() {
        var world = PlannerWorld()
        world.step()
        world.finishJob(.install, report: PlannerWorld.installed())
        // Recording the result succeeded but deleting the Job did not: seeing it again changes nothing.
        var plan = world.plan()
        plan.deleteJobs = []
        world.apply(plan)
        #expect(world.phase == .ready)
        let again = world.plan()
        #expect(again.status == nil)
        #expect(again.label == nil)
        #expect(again.deleteJobs == ["kwasm-install-worker-1"])
    }

    @Test func lostJobsCountAsFailedAttemptsAfterAGracePeriod() {
        var world = PlannerWorld()
        world.step()
        world.jobs = [:]  // deleted behind our back
        #expect(world.step().startJob == nil)
        world.now += 61
        world.step()
        #expect(world.status?.status?.lastError?.code == "JobLost")
        world.now += 11
        #expect(world.step().startJob == .init(operation: .install, attempt: 2))
    }

    @Test func cleanupUninstallsEverything() {
        var world = PlannerWorld()
        world.step()
        world.finishJob(.install, report: PlannerWorld.installed())
        world.settle()
        world.cleanup = true
        #expect(world.step().startJob?.operation == .uninstall)
        world.finishJob(.uninstall, report: InstallerReport(operation: .uninstall, result: .uninstalled))
        world.step()
        #expect(world.status == nil)
        #expect(world.label == nil)
    }

    @Test func selectorSelectedNodeInstallsAndDeselectionUninstalls() throws {
        var configuration = PlannerWorld.defaultConfiguration
        configuration.nodeSelector = try LabelSelector(parsing: "wasm=yes")
        var world = PlannerWorld(annotation: nil, configuration: configuration)
        #expect(!world.step().hasWrites)
        world.node?.metadata.labels = ["wasm": "yes"]
        #expect(world.step().startJob?.operation == .install)
        world.finishJob(.install, report: PlannerWorld.installed())
        world.settle()
        #expect(world.label == "true")
        world.node?.metadata.labels?["wasm"] = nil
        #expect(world.step().startJob?.operation == .uninstall)
    }
}
