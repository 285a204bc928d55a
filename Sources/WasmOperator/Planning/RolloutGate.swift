import Foundation
import KubernetesClient
import KubernetesRuntime
import Synchronization

/// The rollout cap, like a Deployment's maxUnavailable: at most `cap` nodes run an install or
/// uninstall at once, so containerd is never restarted fleet-wide. Level-based: the nodes
/// holding a slot are counted from the installer Jobs the Job cache (and our own recent Job
/// writes) shows, running or finished but not yet recorded; a node holds its slot from Job
/// creation until its result is recorded and the Job deleted. Counting finished Jobs too keeps
/// them from piling up (each cached with its Pod) faster than they are recorded.
///
/// Besides what the cache shows, the gate remembers only what the cache cannot show yet, and
/// nothing expires on a timer:
/// - `starting`: nodes admitted whose Job creation is in flight, until it returns;
/// - `waiting`: nodes refused, oldest first, woken in that order when a slot frees;
/// - `woken`: nodes woken for a free slot, which keep it against newcomers until their next
///   reconcile (or until their Node is gone).
public struct RolloutGateStateMachine: Sendable {
    public struct Decision: Sendable, Equatable {
        public var admitted: Bool
        /// Waiting nodes to reconcile now: slots are free for them.
        public var wake: [String]
    }

    private(set) var starting: Set<String> = []
    private(set) var woken: Set<String> = []
    private var waitingOrder: [String] = []
    private var waitingHead = 0
    /// The nodes in `waitingOrder[waitingHead...]`; thousands wait in a large rollout, so
    /// membership must not scan the queue.
    private var waitingSet: Set<String> = []

    public init() {}

    /// Nodes waiting for a slot, oldest first.
    public var waiting: [String] { waitingOrder[waitingHead...].filter { waitingSet.contains($0) } }

    /// A node whose plan starts an install or uninstall Job asks for a slot. `holders`: the
    /// nodes whose slot-holding Jobs the caches show; `exists`: whether a node is still there.
    public mutating func admit(
        _ node: String, holders: Set<String>, cap: Int, exists: (String) -> Bool = { _ in true }
    ) -> Decision {
        let busy = holders.union(starting)
        let wasWoken = woken.remove(node) != nil
        if !busy.contains(node), busy.count + woken.count >= cap, !woken.isEmpty {
            // Slots kept for woken nodes whose Node is gone are free (checked only when they matter).
            woken = woken.filter(exists)
        }
        if busy.contains(node) || busy.count + woken.count < cap {
            if !busy.contains(node) { starting.insert(node) }
            waitingSet.remove(node)
            return Decision(admitted: true, wake: wake(holders: holders, cap: cap))
        }
        if waitingSet.insert(node).inserted {
            // A woken node that lost its slot (the cap shrank) keeps its place at the front.
            if wasWoken, waitingHead > 0 {
                waitingHead -= 1
                waitingOrder[waitingHead] = node
            } else if wasWoken {
                waitingOrder.insert(node, at: 0)
            } else {
                waitingOrder.append(node)
            }
        }
        return Decision(admitted: false, wake: wake(holders: holders, cap: cap))
    }

    /// The Job creation of an admitted node returned: created (the caches count it now) or not.
    /// Follow with ``wake(holders:cap:)``: a failed creation frees the slot.
    public mutating func started(_ node: String) {
        starting.remove(node)
    }

    /// A node's plan needs no slot (any more): it stops waiting, and a slot kept for it is free.
    /// Follow with ``wake(holders:cap:)``.
    public mutating func release(_ node: String) {
        // Left in `waitingOrder` and skipped when popped: removing it there would scan the queue.
        waitingSet.remove(node)
        woken.remove(node)
    }

    /// Whether any node waits; when none does, nobody is to be woken and the holders need no count.
    public var hasWaiting: Bool { !waitingSet.isEmpty }

    /// Waiting nodes to wake for the slots that are free and not promised yet, oldest first.
    public mutating func wake(holders: Set<String>, cap: Int) -> [String] {
        guard !waitingSet.isEmpty else { return [] }
        var free = cap - holders.union(starting).count - woken.count
        var woke: [String] = []
        while free > 0, waitingHead < waitingOrder.count {
            let node = waitingOrder[waitingHead]
            waitingHead += 1
            guard waitingSet.remove(node) != nil, !holders.contains(node) else { continue }
            woken.insert(node)
            woke.append(node)
            free -= 1
        }
        if waitingHead > 64, waitingHead * 2 > waitingOrder.count {
            waitingOrder.removeFirst(waitingHead)
            waitingHead = 0
        }
        return woke
    }
}

/// Runs the ``RolloutGateStateMachine`` for the node controller: counts the holders from the
/// Job store (with our own recent writes), computes the cap for the fleet, and hands woken nodes
/// to the controller's queue.
public final class RolloutGate: Sendable {
    private let machine = Mutex(RolloutGateStateMachine())
    private let jobs: Store<Job>
    private let nodes: Store<Node>
    private let statuses: Store<WasmNodeStatus>
    private let configuration: OperatorConfiguration
    private let cleanup: Bool
    private let selectedCount = Mutex<(at: Date, count: Int)?>(nil)
    private let wakeHandler = Mutex<(@Sendable ([String]) -> Void)?>(nil)

    init(jobs: Store<Job>, nodes: Store<Node>, statuses: Store<WasmNodeStatus>, configuration: OperatorConfiguration, cleanup: Bool) {
        self.jobs = jobs
        self.nodes = nodes
        self.statuses = statuses
        self.configuration = configuration
        self.cleanup = cleanup
    }

    /// The node whose rollout slot `job` holds: any install or uninstall Job (a status check
    /// holds none), running or finished. A Job of a deleted Node holds its slot until the garbage
    /// collector deletes it (the Node owns it).
    @Sendable static func node(holdingSlotBy job: Job) -> String? {
        guard let observation = InstallerJobObservation(job: job, pods: []), observation.operation.needsRolloutSlot else { return nil }
        return observation.nodeName
    }

    /// Where woken nodes go (the node controller's queue).
    func onWake(_ handler: @escaping @Sendable ([String]) -> Void) {
        wakeHandler.withLock { $0 = handler }
    }

    /// Whether `node` may start its Job now; `false` queues it as waiting. Each admitted node
    /// must be followed by ``started(_:)`` once its Job creation returns, whatever the outcome.
    func admit(_ node: String) -> Bool {
        let decision = update { machine, holders, cap in
            machine.admit(node, holders: holders, cap: cap) { self.nodes.get(name: $0) != nil }
        }
        wake(decision.wake)
        return decision.admitted
    }

    func started(_ node: String) {
        wakeIfWaiting { $0.started(node) }
    }

    /// `node`'s plan needs no slot: it stops waiting. Called on most reconciles, so the holders
    /// are counted only when some node waits.
    func release(_ node: String) {
        wakeIfWaiting { $0.release(node) }
    }

    /// Slots may have freed (we deleted a slot-holding Job): wake waiting nodes for them.
    func slotsFreed() {
        wakeIfWaiting { _ in }
    }

    private func wakeIfWaiting(after change: (inout RolloutGateStateMachine) -> Void) {
        let woken = machine.withLock { machine -> [String] in
            change(&machine)
            guard machine.hasWaiting else { return [] }
            return machine.wake(holders: holders(), cap: cap(now: Date()))
        }
        wake(woken)
    }

    /// Runs `body` with the holders and the cap counted under the gate's lock: a count taken
    /// earlier could miss a Job whose creation has meanwhile returned, and hand its slot out twice.
    private func update<Result>(_ body: (inout RolloutGateStateMachine, Set<String>, Int) -> Result) -> Result {
        machine.withLock { machine in body(&machine, holders(), cap(now: Date())) }
    }

    private func wake(_ nodes: [String]) {
        guard !nodes.isEmpty, let handler = wakeHandler.withLock({ $0 }) else { return }
        handler(nodes)
    }

    /// Nodes that hold a rollout slot: the Job store's slot index (``OperatorCaches/rolloutSlot``),
    /// which includes our own recent Job writes (a Job not cached yet counts, one we deleted does
    /// not). Never reads the whole cache.
    func holders() -> Set<String> {
        Set(jobs.indexedValues(OperatorCaches.rolloutSlot))
    }

    /// The rollout cap for the current fleet. Selected nodes are counted from the Node watch's
    /// events; in cleanup (every node with a status is uninstalled) the count is recomputed at
    /// most once a second.
    func cap(now: Date) -> Int {
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
