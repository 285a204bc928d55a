import Foundation
import KubernetesClient
import KubernetesRuntime
import Logging

/// What the reconcilers share: the client, the read side of the caches (with read-your-writes,
/// see ``Store``), the rollout gate, the event recorder and the metrics. Side effects live
/// here; decisions live in ``NodePlanner``.
public final class OperatorContext: Sendable {
    public let client: KubernetesClient
    public let configuration: OperatorConfiguration
    public let specHash: String
    public let jobBuilder: InstallerJobBuilder
    public let nodes: Store<Node>
    public let statuses: Store<WasmNodeStatus>
    public let jobs: Store<Job>
    public let pods: Store<Pod>
    public let runtimeClasses: Store<RuntimeClass>
    public let recorder: EventRecorder
    public let metrics: OperatorMetrics
    public let logger: Logger
    /// `kwasm-operator cleanup`: uninstall everywhere.
    public let cleanup: Bool
    /// Asked right before a write that would undo `kwasm-operator cleanup` (starting an installer
    /// Job, applying a RuntimeClass); nil = always allowed (cleanup itself).
    let writeGate: (@Sendable () async -> Bool)?

    let rolloutGate: RolloutGate

    init(
        client: KubernetesClient, configuration: OperatorConfiguration, caches: OperatorCaches, recorder: EventRecorder,
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
        nodes = caches.nodes.store
        statuses = caches.statuses.store
        jobs = caches.jobs.store
        pods = caches.pods.store
        runtimeClasses = caches.runtimeClasses.store
        rolloutGate = RolloutGate(jobs: jobs, nodes: nodes, statuses: statuses, configuration: configuration, cleanup: cleanup)
    }

    // MARK: - Views of the caches

    func node(named name: String, cached: Node) -> Node {
        nodes.get(name: name) ?? cached
    }

    func status(named name: String) -> WasmNodeStatus? {
        statuses.get(name: name)
    }

    /// Our installer Jobs for `node`, including ones just created that the cache lacks.
    func jobs(for node: String) -> [Job] {
        jobs.byIndex(OperatorCaches.byNode, value: node)
    }

    func pods(for node: String) -> [Pod] {
        pods.byIndex(OperatorCaches.byNode, value: node)
    }

}
