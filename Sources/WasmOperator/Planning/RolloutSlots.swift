import Foundation

/// The rollout cap: at most `cap` nodes run an install or uninstall Job at once, so containerd
/// is never restarted fleet-wide. Nodes whose Jobs are visible in the Job cache count (until
/// the result is recorded and the Job deleted), plus
/// nodes granted a slot whose Job the cache does not show yet (so two concurrent reconciles
/// cannot both take the last slot).
public struct RolloutSlots: Sendable {
    /// Granted, Job not yet seen: node → when granted.
    private(set) var pending: [String: Date] = [:]
    /// Nodes that asked and were refused, oldest first (from `waitingHead`): woken when a slot frees.
    private var waitingOrder: [String] = []
    private var waitingHead = 0
    /// The nodes in `waitingOrder[waitingHead...]`; thousands wait in a large rollout, so
    /// membership must not scan the queue.
    private var waitingSet: Set<String> = []
    /// A grant whose Job never shows up (creation failed without `release`, or a woken node
    /// that no longer needs it) expires.
    let pendingTimeout: TimeInterval

    public init(pendingTimeout: TimeInterval = 30) { self.pendingTimeout = pendingTimeout }

    /// Nodes waiting for a slot, oldest first.
    public var waiting: [String] { waitingOrder[waitingHead...].filter { waitingSet.contains($0) } }

    /// Nodes counted against the cap.
    func inFlight(active: Set<String>, now: Date) -> Set<String> {
        active.union(pending.filter { now.timeIntervalSince($0.value) < pendingTimeout }.keys)
    }

    /// Would `node` get a slot now? (No reservation.)
    public func available(for node: String, active: Set<String>, cap: Int, now: Date) -> Bool {
        let busy = inFlight(active: active, now: now)
        return busy.contains(node) || busy.count < cap
    }

    /// Reserves a slot for `node`; `false` (and the node queued as waiting) when the cap is reached.
    public mutating func acquire(_ node: String, active: Set<String>, cap: Int, now: Date) -> Bool {
        pending = pending.filter { !active.contains($0.key) && now.timeIntervalSince($0.value) < pendingTimeout }
        let busy = active.union(pending.keys)
        if busy.contains(node) { return true }
        guard busy.count < cap else {
            if waitingSet.insert(node).inserted { waitingOrder.append(node) }
            return false
        }
        pending[node] = now
        forget(node)
        return true
    }

    /// Gives back a slot whose Job was not created.
    public mutating func release(_ node: String) {
        pending[node] = nil
    }

    /// A node stopped waiting (its plan no longer needs a slot).
    public mutating func forget(_ node: String) {
        // Left in `waitingOrder` and skipped when popped: removing it there would scan the queue.
        waitingSet.remove(node)
    }

    /// Waiting nodes to wake because slots are free now (a Job was recorded and deleted, the
    /// cap grew as nodes were selected, or a grant expired), oldest first. Each woken node is
    /// granted its slot now, so that no other node takes it before the woken node's reconcile
    /// runs and a free slot wakes one node, not every waiting one.
    public mutating func popWaitingForFreeSlots(active: Set<String>, cap: Int, now: Date) -> [String] {
        guard !waitingSet.isEmpty else { return [] }
        var free = cap - inFlight(active: active, now: now).count
        var woken: [String] = []
        while free > 0, waitingHead < waitingOrder.count {
            let node = waitingOrder[waitingHead]
            waitingHead += 1
            guard waitingSet.remove(node) != nil, !active.contains(node) else { continue }
            pending[node] = now
            woken.append(node)
            free -= 1
        }
        if waitingHead > 64, waitingHead * 2 > waitingOrder.count {
            waitingOrder.removeFirst(waitingHead)
            waitingHead = 0
        }
        return woken
    }
}
