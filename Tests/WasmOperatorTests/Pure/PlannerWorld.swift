import Foundation
import Testing
import KubernetesClient
@testable import WasmOperator

/// A tiny in-memory cluster for driving the pure planner through whole scenarios: it applies
/// plans the way the reconciler does and lets tests finish Jobs with chosen reports.
struct PlannerWorld {
    var configuration: OperatorConfiguration
    var node: Node?
    var status: WasmNodeStatus?
    var jobs: [String: InstallerJobObservation] = [:]
    var now = Date(timeIntervalSince1970: 1_800_000_000)
    var slotAvailable = true
    var cleanup = false
    var events: [NodePlan.PlannedEvent] = []
    var jobsCreated: [String] = []
    var writes = 0
    /// The node's lifecycle so far, one entry per change of state.
    var states: [NodeState.Kind] = []

    init(annotation: String? = "true", configuration: OperatorConfiguration = PlannerWorld.defaultConfiguration) {
        self.configuration = configuration
        var annotations: [String: String] = [:]
        if let annotation { annotations[WellKnown.nodeAnnotation] = annotation }
        node = Node(
            metadata: ObjectMeta(name: "worker-1", uid: "uid-1", annotations: annotations),
            status: .init(
                nodeInfo: .init(machineID: "m1", bootID: "boot-1", containerRuntimeVersion: "containerd://1.6.20"),
                conditions: [.init(type: "Ready", status: "True")]))
    }

    static var defaultConfiguration: OperatorConfiguration {
        var configuration = OperatorConfiguration(installerImage: "img:1")
        configuration.retryBaseDelay = .seconds(10)
        return configuration
    }

    var label: String? { node?.metadata.labels?[WellKnown.provisionedLabel] }
    var phase: WasmNodeStatus.Phase? { status?.status?.phase }
    func condition(_ type: String) -> Condition? { status?.status?.conditions?[type: type] }

    /// The plan the reconciler carries out, with the rollout gate's answer `slotAvailable`.
    func plan() -> NodePlan {
        NodePlanner.plan(NodePlanInput(
            nodeName: "worker-1", node: node, status: status, jobs: Array(jobs.values), configuration: configuration,
            now: now, cleanup: cleanup)
        ).resolved(slotGranted: slotAvailable)
    }

    /// Plans and applies; returns the plan.
    @discardableResult
    mutating func step() -> NodePlan {
        let plan = plan()
        record(plan.state.kind)
        apply(plan)
        // The Job just started runs now, whether or not a step sees it before it finishes.
        switch plan.startJob?.operation {
        case .install?: record(.installing)
        case .uninstall?: record(.uninstalling)
        case .status?: record(.checking)
        case nil: break
        }
        return plan
    }

    /// Every move of a scenario must be one that NodeState.transitions (and so the diagram in
    /// docs/architecture.md) lists.
    mutating func record(_ state: NodeState.Kind, sourceLocation: SourceLocation = #_sourceLocation) {
        if let last = states.last, last != state, state != .absent {
            #expect(NodeState.transitions.contains { $0.from == last && $0.to == state },
                    "\(last) → \(state) is not in NodeState.transitions", sourceLocation: sourceLocation)
        }
        if states.last != state { states.append(state) }
    }

    mutating func apply(_ plan: NodePlan) {
        if let create = plan.createStatusObject {
            var created = create
            created.metadata.generation = 1
            status = created
            writes += 1
        }
        if let new = plan.status { status?.status = new; writes += 1 }
        if let annotations = plan.statusAnnotations {
            let merged = (status?.metadata.annotations ?? [:]).merging(annotations) { $1 }
            status?.metadata.annotations = merged
            writes += 1
        }
        if plan.deleteStatusObject { status = nil; writes += 1 }
        switch plan.label {
        case .set?:
            let merged = (node?.metadata.labels ?? [:]).merging([WellKnown.provisionedLabel: "true"]) { $1 }
            node?.metadata.labels = merged
            writes += 1
        case .remove?: node?.metadata.labels?[WellKnown.provisionedLabel] = nil; writes += 1
        case nil: break
        }
        for name in plan.deleteJobs { jobs[name] = nil; writes += 1 }
        if let start = plan.startJob {
            let name = InstallerJobName.name(operation: start.operation, node: "worker-1")
            precondition(jobs[name] == nil, "duplicate Job \(name)")
            jobs[name] = InstallerJobObservation(
                name: name, nodeName: "worker-1", operation: start.operation, specHash: SpecHash.compute(configuration),
                attempt: start.attempt, state: .running, createdAt: now)
            jobsCreated.append(name)
            writes += 1
        }
        events += plan.events
        writes += plan.events.count
    }

    mutating func finishJob(_ operation: InstallerOperation, report: InstallerReport?, failed: Bool = false) {
        let name = InstallerJobName.name(operation: operation, node: "worker-1")
        precondition(jobs[name] != nil, "no Job \(name)")
        jobs[name]?.state = failed ? .failed(reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit") : .succeeded
        jobs[name]?.report = report
        jobs[name]?.reportProblem = report == nil ? "installer exited with code 1 without a report" : nil
        jobs[name]?.finishedAt = now
    }

    static func installed(runtimes: [String] = ["spin", "wasmtime"], result: InstallerReport.Result = .installed) -> InstallerReport {
        var report = InstallerReport(operation: .install, result: result)
        report.restarted = result == .installed
        report.containerdVersion = "1.6.20"
        report.distro = "default"
        report.configPath = "/etc/containerd/config.toml"
        report.configSchema = 2
        report.runtimes = runtimes.map {
            .init(name: $0, handler: $0, runtimeType: "io.containerd.\($0).v1", path: "/opt/kwasm/bin/containerd-shim-\($0)-v1", sha256: "ab", version: "1.0")
        }
        return report
    }

    static func failed(_ code: String, result: InstallerReport.Result = .failed) -> InstallerReport {
        var report = InstallerReport(operation: .install, result: result)
        report.error = .init(code: code, message: "\(code) happened")
        return report
    }

    /// Runs plan/apply until nothing is left to write (at most `limit` steps).
    mutating func settle(limit: Int = 10) {
        for _ in 0..<limit where step().hasWrites {}
    }
}
