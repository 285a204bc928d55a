import Foundation
import KubernetesClient
import KubernetesRuntime
import Logging
import Synchronization

/// What the reconcilers share: the client, the read side of the caches (with read-your-writes,
/// see ``Store``), the rollout slots, the event recorder and the metrics. Side effects live
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

    let slots = Mutex(RolloutSlots())
    private let selectedCount = Mutex<(at: Date, count: Int)?>(nil)
    private let wakeHandler = Mutex<(@Sendable ([String]) -> Void)?>(nil)

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
    }

    /// Where woken nodes go (the node controller's queue).
    func onWake(_ handler: @escaping @Sendable ([String]) -> Void) {
        wakeHandler.withLock { $0 = handler }
    }

    func wake(_ nodes: [String]) {
        guard !nodes.isEmpty, let handler = wakeHandler.withLock({ $0 }) else { return }
        handler(nodes)
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

    /// Nodes that hold a rollout slot: their install or uninstall Job runs, or has finished
    /// and its result is not recorded yet (we delete a Job once its result is recorded). As
    /// with maxUnavailable in a rolling update, a node counts until it is settled, not only
    /// while its installer runs: otherwise finished Jobs pile up faster than they are recorded
    /// in a large rollout, and the operator caches each one with its Pod. Includes Jobs we just
    /// created that the cache does not show yet. Reads only the slot-holding Jobs and our
    /// recent Job writes, never the whole cache.
    func nodesHoldingRolloutSlots() -> Set<String> {
        Set(jobs.indexedValues(OperatorCaches.rolloutSlot))
    }

    /// Runs `body` on the rollout slots with the nodes holding slots and the cap, counted under
    /// the slots' lock: a count taken earlier could miss a Job whose grant another reconcile has
    /// meanwhile retired (because it saw that Job), and hand its slot out twice.
    func withSlots<Result>(_ body: (inout RolloutSlots, _ running: Set<String>, _ cap: Int) -> Result) -> Result {
        slots.withLock { slots in body(&slots, nodesHoldingRolloutSlots(), rolloutCap(now: Date())) }
    }

    /// The node whose rollout slot `job` holds: any install or uninstall Job (a status check
    /// holds none), running or finished. A Job of a deleted Node holds its slot until the garbage
    /// collector deletes it (the Node owns it).
    @Sendable static func nodeHoldingSlot(by job: Job) -> String? {
        guard let observation = InstallerJobObservation(job: job, pods: []), observation.operation.needsRolloutSlot else { return nil }
        return observation.nodeName
    }

    /// The rollout cap for the current fleet. Selected nodes are counted from the Node watch's
    /// events; in cleanup (every node with a status is uninstalled) the count is recomputed at
    /// most once a second.
    func rolloutCap(now: Date) -> Int {
        if configuration.maxParallel > 0 { return configuration.maxParallel }
        if !cleanup { return configuration.effectiveMaxParallel(selectedNodes: nodes.count(OperatorCaches.selected, value: "true")) }
        // Under the lock, so concurrent reconciles do not all recount the fleet at once.
        let count = selectedCount.withLock { cached -> Int in
            if let cached, now.timeIntervalSince(cached.at) < 1 { return cached.count }
            let withStatus = statuses.reduce(into: Set<String>()) { names, status in names.insert(status.metadata.name ?? "") }
            let count = nodes.reduce(into: 0) { count, node in
                if withStatus.contains(node.metadata.name ?? "") { count += 1 }
            }
            cached = (now, count)
            return count
        }
        return configuration.effectiveMaxParallel(selectedNodes: count)
    }
}
