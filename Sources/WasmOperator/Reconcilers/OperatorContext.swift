import Foundation
import KubernetesClient
import KubernetesRuntime
import Logging

/// What the reconcilers share: the client, the caches, the rollout gate, the event recorder
/// and the metrics. Side effects live here; decisions live in ``NodePlanner``.
public final class OperatorContext: Sendable {
    public let client: KubernetesClient
    public let configuration: OperatorConfiguration
    public let specHash: String
    public let jobBuilder: InstallerJobBuilder
    public let nodes = Store<Node>()
    public let statuses = Store<WasmNodeStatus>()
    public let jobs = Store<Job>()
    public let pods = Store<Pod>()
    public let runtimeClasses = Store<RuntimeClass>()
    public let recorder: EventRecorder
    public let metrics: OperatorMetrics
    public let logger: Logger
    /// `kwasm-operator cleanup`: uninstall everywhere.
    public let cleanup: Bool
    /// Asked right before a write that would undo `kwasm-operator cleanup` (starting an installer
    /// Job, applying a RuntimeClass); nil = always allowed (cleanup itself).
    let writeGate: (@Sendable () async -> Bool)?

    /// ``jobs`` and ``pods`` grouped by node; fed with them by ``indexing(jobs:)`` and ``indexing(pods:)``.
    let jobsByNode = ObjectsByNode<Job>(tracking: { RolloutGate.node(holdingSlotBy: $0) != nil })
    let podsByNode = ObjectsByNode<Pod>()
    let recentStatuses = RecentWrites<WasmNodeStatus>()
    let recentJobs = RecentWrites<Job>()
    let recentNodes = RecentWrites<Node>()
    /// Fed by the Node watch (``KwasmOperator``): the fleet size behind the auto rollout cap.
    let selectedNodes: SelectedNodes
    let rolloutGate: RolloutGate

    public init(
        client: KubernetesClient, configuration: OperatorConfiguration, recorder: EventRecorder,
        metrics: OperatorMetrics, logger: Logger, cleanup: Bool = false,
        writeGate: (@Sendable () async -> Bool)? = nil
    ) {
        self.client = client
        self.configuration = configuration
        self.specHash = SpecHash.compute(configuration)
        self.jobBuilder = InstallerJobBuilder(configuration: configuration, specHash: specHash)
        self.recorder = recorder
        self.metrics = metrics
        self.logger = logger
        self.cleanup = cleanup
        self.writeGate = writeGate
        let selectedNodes = SelectedNodes(configuration: configuration)
        self.selectedNodes = selectedNodes
        self.rolloutGate = RolloutGate(
            jobsByNode: jobsByNode, recentJobs: recentJobs, nodes: nodes, statuses: statuses,
            selectedNodes: selectedNodes, configuration: configuration, cleanup: cleanup)
    }

    // MARK: - Views of the caches

    func node(named name: String, cached: Node) -> Node {
        recentNodes.resolve(name: name, cached: cached) ?? cached
    }

    func status(named name: String) -> WasmNodeStatus? {
        recentStatuses.resolve(name: name, cached: statuses.get(name: name))
    }

    /// Our installer Jobs for `node`, including ones just created that the cache lacks.
    func jobs(for node: String) -> [Job] {
        var result: [Job] = []
        var seen = Set<String>()
        for cached in jobsByNode.objects(for: node) {
            let name = cached.metadata.name ?? ""
            seen.insert(name)
            if let job = recentJobs.resolve(name: name, cached: cached) { result.append(job) }
        }
        result += recentJobs.pending {
            $0.metadata.annotations?[WellKnown.nodeNameAnnotation] == node && !seen.contains($0.metadata.name ?? "")
        }
        return result
    }

    func pods(for node: String) -> [Pod] {
        podsByNode.objects(for: node)
    }
}
