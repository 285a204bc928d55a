import Foundation
import KubernetesClient
import Testing
@testable import WasmOperator

@Suite struct InstallerJobNameTests {
    @Test func shortNodeNamesAreUsedVerbatim() {
        #expect(InstallerJobName.name(operation: .install, node: "worker-1") == "kwasm-install-worker-1")
        #expect(InstallerJobName.name(operation: .uninstall, node: "worker-1") == "kwasm-uninstall-worker-1")
        #expect(InstallerJobName.name(operation: .status, node: "worker-1") == "kwasm-status-worker-1")
    }

    @Test(arguments: [
        String(repeating: "n", count: 253),
        "ip-10-0-12-34.eu-central-1.compute.internal",
        String(repeating: "a-", count: 40) + "b",
        "node." + String(repeating: "x", count: 60),
        String(repeating: "-", count: 0) + "9" + String(repeating: ".", count: 1) + "z",
    ])
    func longOrDottedNamesGetAHashSuffix(node: String) {
        for operation in InstallerOperation.allCases {
            let name = InstallerJobName.name(operation: operation, node: node)
            #expect(name.count <= 63)
            #expect(OperatorConfiguration.isDNS1123Label(name), "\(name)")
            #expect(name.hasPrefix("kwasm-\(operation.rawValue)-"))
            #expect(name.hasSuffix(InstallerJobName.nodeHash(node)))
        }
    }

    @Test func namesThatShareAPrefixStayDistinct() {
        let base = String(repeating: "n", count: 100)
        #expect(InstallerJobName.name(operation: .install, node: base + "a") != InstallerJobName.name(operation: .install, node: base + "b"))
    }

    @Test func nodeHashIsTenHex() {
        let hash = InstallerJobName.nodeHash("worker-1")
        #expect(hash.count == 10)
        #expect(hash.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }
}

@Suite struct InstallerJobBuilderTests {
    func node(_ name: String = "worker-1") -> Node {
        Node(
            metadata: ObjectMeta(name: name, uid: "uid-1"),
            status: .init(nodeInfo: .init(machineID: "m-123", bootID: "b-1", containerRuntimeVersion: "containerd://1.6.20")))
    }

    @Test func jobSpecIsPinnedPrivilegedAndBounded() throws {
        var configuration = OperatorConfiguration(installerImage: "ghcr.io/kwasm/installer@sha256:" + String(repeating: "b", count: 64), namespace: "kwasm")
        configuration.imagePullSecrets = ["regcred"]
        let builder = InstallerJobBuilder(configuration: configuration)
        let job = builder.job(operation: .install, node: node(), attempt: 2)

        #expect(job.metadata.name == "kwasm-install-worker-1")
        #expect(job.metadata.namespace == "kwasm")
        #expect(job.metadata.labels?["app.kubernetes.io/managed-by"] == "kwasm-operator")
        #expect(job.metadata.labels?["kwasm.sh/operation"] == "install")
        #expect(job.metadata.labels?["kwasm.sh/node-hash"] == InstallerJobName.nodeHash("worker-1"))
        #expect(job.metadata.labels?["kwasm.sh/spec-hash"] == SpecHash.compute(configuration))
        #expect(job.metadata.annotations?["kwasm.sh/node"] == "worker-1")
        #expect(job.metadata.annotations?["kwasm.sh/attempt"] == "2")
        #expect(job.metadata.ownerReferences == [OwnerReference(apiVersion: "v1", kind: "Node", name: "worker-1", uid: "uid-1")])

        let spec = try #require(job.spec)
        #expect(spec.backoffLimit == 0)
        #expect(spec.activeDeadlineSeconds == 600)
        #expect(spec.ttlSecondsAfterFinished == 3600)
        let pod = try #require(spec.template.spec)
        #expect(pod.nodeName == "worker-1")
        #expect(pod.hostPID == true)
        #expect(pod.restartPolicy == "Never")
        #expect(pod.automountServiceAccountToken == false)
        #expect(pod.priorityClassName == "system-node-critical")
        #expect(pod.imagePullSecrets == [LocalObjectReference(name: "regcred")])
        #expect(pod.tolerations == [Toleration(operator: "Exists")])
        #expect(pod.volumes?.first?.hostPath?.path == "/")
        #expect(spec.template.metadata?.labels == job.metadata.labels)

        let container = try #require(pod.containers.first)
        #expect(pod.containers.count == 1)
        #expect(container.image == configuration.installerImage)
        #expect(container.imagePullPolicy == "IfNotPresent")
        #expect(container.command == ["kwasm-node-installer", "install"])
        #expect(container.securityContext?.privileged == true)
        #expect(container.volumeMounts == [VolumeMount(name: "host-root", mountPath: "/host")])
        #expect(container.resources == ResourceRequirements(requests: ["cpu": "50m", "memory": "64Mi"], limits: ["memory": "256Mi"]))
        #expect(container.terminationMessagePath == "/dev/termination-log")
        let env = Dictionary(uniqueKeysWithValues: (container.env ?? []).compactMap { e in e.value.map { (e.name, $0) } })
        #expect(env == [
            "KWASM_HOST_ROOT": "/host", "KWASM_RUNTIMES": "spin,wasmtime", "KWASM_RESTART": "auto",
            "KWASM_EXPECTED_MACHINE_ID": "m-123",
        ])
    }

    @Test func optionalPartsAreLeftOut() throws {
        var configuration = OperatorConfiguration(installerImage: "img:1")
        configuration.jobPriorityClass = nil
        let job = InstallerJobBuilder(configuration: configuration)
            .job(operation: .uninstall, node: Node(metadata: ObjectMeta(name: "n", uid: "u")), attempt: 1)
        let pod = try #require(job.spec?.template.spec)
        #expect(pod.priorityClassName == nil)
        #expect(pod.imagePullSecrets == nil)
        #expect(pod.containers[0].env?.contains { $0.name == "KWASM_EXPECTED_MACHINE_ID" } == false)
        #expect(pod.containers[0].command == ["kwasm-node-installer", "uninstall"])
        // No `null`s on the wire: absent fields stay absent.
        let json = String(decoding: try JSONEncoder().encode(job), as: UTF8.self)
        #expect(!json.contains("null"))
    }
}

@Suite struct SpecHashTests {
    @Test func changesWithImageRuntimesAndRestartOnly() throws {
        let base = OperatorConfiguration(installerImage: "img:1")
        let hash = SpecHash.compute(base)
        #expect(hash.count == 10)
        #expect(SpecHash.compute(base) == hash)
        var image = base; image.installerImage = "img:2"
        var runtimes = base; runtimes.runtimes = try KnownWasmRuntimes.default.resolve(["spin"])
        var restart = base; restart.restartStrategy = "k3s"
        for changed in [image, runtimes, restart] { #expect(SpecHash.compute(changed) != hash) }
        var unrelated = base; unrelated.maxParallel = 9; unrelated.jobTTLSeconds = 1; unrelated.driftInterval = .zero
        #expect(SpecHash.compute(unrelated) == hash)
    }
}

@Suite struct InstallerReportTests {
    static let installed = #"""
    {"operation":"install","result":"installed","restarted":true,"rolledBack":false,"dryRun":false,
     "distro":"default","containerdVersion":"1.6.20","configPath":"/etc/containerd/config.toml","configSchema":2,
     "machineID":"m","runtimes":[{"name":"spin","handler":"spin","runtimeType":"io.containerd.spin.v2",
     "path":"/opt/kwasm/bin/containerd-shim-spin-v2","sha256":"abc","version":"0.19.0"}],
     "backupPath":"/etc/containerd/config.toml.kwasm-backup","durationMs":1234,"futureField":1}
    """#

    @Test func decodesTheContractReport() throws {
        let report = try InstallerReport.decode(terminationMessage: Self.installed)
        #expect(report.operation == .install)
        #expect(report.result == .installed)
        #expect(report.succeeded)
        #expect(report.runtimes?.first?.path == "/opt/kwasm/bin/containerd-shim-spin-v2")
        #expect(report.configSchema == 2)
        #expect(report.error == nil)
    }

    @Test func decodesAFailureAfterLogLines() throws {
        let message = "restarting containerd\n" + #"{"operation":"install","result":"failed","rolledBack":true,"error":{"code":"VerificationFailed","message":"handler spin not loaded"}}"#
        let report = try InstallerReport.decode(terminationMessage: message)
        #expect(!report.succeeded)
        #expect(report.error == .init(code: "VerificationFailed", message: "handler spin not loaded"))
        #expect(report.rolledBack == true)
    }

    @Test func successDependsOnTheOperation() {
        #expect(InstallerReport(operation: .uninstall, result: .uninstalled).succeeded)
        #expect(!InstallerReport(operation: .install, result: .uninstalled).succeeded)
        #expect(InstallerReport(operation: .status, result: .drifted).succeeded)
        #expect(!InstallerReport(operation: .install, result: .unsupported).succeeded)
    }

    @Test func garbageIsAClearError() {
        #expect(throws: InstallerReport.UndecodableReport.self) { try InstallerReport.decode(terminationMessage: "panic: oops") }
    }

    @Test func reportIsReadFromTheJobsPod() throws {
        let job = Job(
            metadata: ObjectMeta(
                name: "kwasm-install-n1", namespace: "kwasm",
                labels: ["app.kubernetes.io/managed-by": "kwasm-operator", "kwasm.sh/operation": "install", "kwasm.sh/spec-hash": "0123456789"],
                annotations: ["kwasm.sh/node": "n1", "kwasm.sh/attempt": "3"]),
            status: .init(conditions: [.init(type: "Complete", status: "True")]))
        let pod = Pod(
            metadata: ObjectMeta(name: "kwasm-install-n1-abcde", labels: ["job-name": "kwasm-install-n1"]),
            status: .init(containerStatuses: [.init(name: "installer", state: .init(terminated: .init(exitCode: 0, message: Self.installed)))]))
        let observation = try #require(InstallerJobObservation(job: job, pods: [pod]))
        #expect(observation.nodeName == "n1")
        #expect(observation.operation == .install)
        #expect(observation.attempt == 3)
        #expect(observation.specHash == "0123456789")
        #expect(observation.state == .succeeded)
        #expect(observation.report?.result == .installed)

        var foreign = job
        foreign.metadata.labels = [:]
        #expect(InstallerJobObservation(job: foreign, pods: []) == nil)
    }
}

@Suite struct ScheduleTests {
    @Test func backoffDoublesUpToTheCap() {
        let backoff = RetryBackoff(base: .seconds(10), cap: .seconds(300))
        #expect(backoff.delay(afterFailedAttempts: 0) == .zero)
        #expect(backoff.delay(afterFailedAttempts: 1) == .seconds(10))
        #expect(backoff.delay(afterFailedAttempts: 2) == .seconds(20))
        #expect(backoff.delay(afterFailedAttempts: 4) == .seconds(80))
        #expect(backoff.delay(afterFailedAttempts: 6) == .seconds(300))
        #expect(backoff.delay(afterFailedAttempts: 100) == .seconds(300))
    }

    @Test func driftChecksAreJitteredButStable() throws {
        let last = Date(timeIntervalSince1970: 1_700_000_000)
        var offsets = Set<Int>()
        for index in 0..<50 {
            let next = try #require(DriftSchedule.nextCheck(node: "node-\(index)", lastChecked: last, interval: .seconds(600)))
            let offset = next.timeIntervalSince(last)
            #expect(offset >= 540 && offset <= 660)
            #expect(DriftSchedule.nextCheck(node: "node-\(index)", lastChecked: last, interval: .seconds(600)) == next)
            offsets.insert(Int(offset))
        }
        #expect(offsets.count > 10)
        #expect(DriftSchedule.nextCheck(node: "n", lastChecked: last, interval: .zero) == nil)
    }

    @Test func hostChangesTriggerAChecks() {
        #expect(DriftSchedule.hostChanged(bootID: "b2", recordedBootID: "b1", containerRuntimeVersion: nil, recordedContainerRuntimeVersion: nil))
        #expect(DriftSchedule.hostChanged(bootID: nil, recordedBootID: nil, containerRuntimeVersion: "containerd://2.0.0", recordedContainerRuntimeVersion: "containerd://1.7.0"))
        #expect(!DriftSchedule.hostChanged(bootID: "b1", recordedBootID: "b1", containerRuntimeVersion: "containerd://1.7.0", recordedContainerRuntimeVersion: "containerd://1.7.0"))
        #expect(!DriftSchedule.hostChanged(bootID: "b1", recordedBootID: nil, containerRuntimeVersion: "x", recordedContainerRuntimeVersion: nil))
    }

    @Test func theRolloutGateNeverAdmitsMoreThanTheCap() {
        var gate = RolloutGateStateMachine()
        #expect(gate.admit("a", holders: [], cap: 2).admitted)
        #expect(gate.admit("b", holders: [], cap: 2).admitted)
        #expect(!gate.admit("c", holders: [], cap: 2).admitted)
        #expect(gate.admit("a", holders: [], cap: 2).admitted)  // already holds one
        // a's Job was created and is counted from the caches; b's creation failed.
        gate.started("a")
        #expect(gate.wake(holders: ["a"], cap: 2).isEmpty)
        gate.started("b")
        #expect(gate.wake(holders: ["a"], cap: 2) == ["c"])
        #expect(!gate.admit("d", holders: ["a"], cap: 2).admitted)  // c's slot is kept for it
        #expect(gate.admit("c", holders: ["a"], cap: 2).admitted)
        #expect(gate.waiting == ["d"])
        // Nothing expires: with both Jobs still shown by the caches, d keeps waiting.
        gate.started("c")
        #expect(!gate.admit("d", holders: ["a", "c"], cap: 2).admitted)
    }

    @Test func aFreedSlotWakesTheOldestWaitingNodeAndKeepsTheSlotForIt() {
        var gate = RolloutGateStateMachine()
        for node in ["a", "b", "c", "d"] { _ = gate.admit(node, holders: ["x", "y"], cap: 2) }
        #expect(gate.waiting == ["a", "b", "c", "d"])
        // b's plan no longer needs a slot; nothing freed: nobody is woken.
        gate.release("b")
        #expect(gate.wake(holders: ["x", "y"], cap: 2).isEmpty)
        // y's Job was recorded and deleted: one slot, for the oldest waiting node.
        #expect(gate.wake(holders: ["x"], cap: 2) == ["a"])
        // The slot is kept for the woken node: asking again wakes nobody, and a newcomer waits.
        #expect(gate.wake(holders: ["x"], cap: 2).isEmpty)
        #expect(!gate.admit("e", holders: ["x"], cap: 2).admitted)
        #expect(gate.admit("a", holders: ["x"], cap: 2).admitted)
        gate.started("a")
        #expect(gate.wake(holders: ["x", "a"], cap: 2).isEmpty)
        // x's Job done and the cap grew: "b" stopped waiting, so "c" and "d" are next.
        #expect(gate.wake(holders: ["a"], cap: 3) == ["c", "d"])
        #expect(gate.waiting == ["e"])
    }

    @Test func aSlotKeptForANodeThatIsGoneIsFreed() {
        var gate = RolloutGateStateMachine()
        _ = gate.admit("a", holders: ["x"], cap: 1)
        #expect(gate.wake(holders: [], cap: 1) == ["a"])
        // a's Node was deleted before its reconcile: the next node takes the slot.
        #expect(gate.admit("b", holders: [], cap: 1, exists: { $0 != "a" }).admitted)
    }
}
