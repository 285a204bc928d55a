import Foundation
import KubernetesClient
import KubernetesRuntime
import Logging
import Synchronization

/// What the reconcilers share: the client, the caches, the rollout slots, the event recorder
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

    /// ``jobs`` and ``pods`` grouped by node; fed with them by ``indexing(jobs:)`` and ``indexing(pods:)``.
    let jobsByNode = ObjectsByNode<Job>(tracking: OperatorContext.isRunningRolloutJob)
    let podsByNode = ObjectsByNode<Pod>()
    let recentStatuses = RecentWrites<WasmNodeStatus>()
    let recentJobs = RecentWrites<Job>()
    let recentNodes = RecentWrites<Node>()
    let slots = Mutex(RolloutSlots())
    /// Fed by the Node watch (``KwasmOperator``): the fleet size behind the auto rollout cap.
    let selectedNodes: SelectedNodes
    private let selectedCount = Mutex<(at: Date, count: Int)?>(nil)
    private let wakeHandler = Mutex<(@Sendable ([String]) -> Void)?>(nil)

    public init(
        client: KubernetesClient, configuration: OperatorConfiguration, recorder: EventRecorder,
        metrics: OperatorMetrics, logger: Logger, cleanup: Bool = false
    ) {
        self.client = client
        self.configuration = configuration
        self.specHash = SpecHash.compute(configuration)
        self.jobBuilder = InstallerJobBuilder(configuration: configuration, specHash: specHash)
        self.recorder = recorder
        self.metrics = metrics
        self.logger = logger
        self.cleanup = cleanup
        self.selectedNodes = SelectedNodes(configuration: configuration)
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

    /// Nodes whose install or uninstall Job runs now (they hold rollout slots), including Jobs
    /// we just created that the cache does not show yet. Reads only the running rollout Jobs
    /// and our recent Job writes, never the whole cache.
    func nodesWithRunningRolloutJobs() -> Set<String> {
        var nodes = Set<String>()
        func count(_ job: Job) {
            guard Self.isRunningRolloutJob(job), let node = job.metadata.annotations?[WellKnown.nodeNameAnnotation] else { return }
            nodes.insert(node)
        }
        let running = jobsByNode.trackedObjects()
        for (name, cached) in running {
            if let job = recentJobs.resolve(name: name, cached: cached) { count(job) }
        }
        // Our writes of Jobs not counted above: not cached yet, or cached as finished (the newer
        // of the two decides, as for every other read of the cache).
        for written in recentJobs.pending(where: { running[$0.metadata.name ?? ""] == nil }) {
            let name = written.metadata.name ?? ""
            if let cached = jobsByNode.object(named: name) {
                if let job = recentJobs.resolve(name: name, cached: cached) { count(job) }
            } else {
                count(written)
            }
        }
        return nodes
    }

    @Sendable static func isRunningRolloutJob(_ job: Job) -> Bool {
        guard let observation = InstallerJobObservation(job: job, pods: []) else { return false }
        return observation.operation.needsRolloutSlot && !observation.isFinished
    }

    /// The rollout cap for the current fleet. Selected nodes are counted from the Node watch's
    /// events; in cleanup (every node with a status is uninstalled) the count is recomputed at
    /// most once a second.
    func rolloutCap(now: Date) -> Int {
        if configuration.maxParallel > 0 { return configuration.maxParallel }
        if !cleanup { return configuration.effectiveMaxParallel(selectedNodes: selectedNodes.count) }
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
