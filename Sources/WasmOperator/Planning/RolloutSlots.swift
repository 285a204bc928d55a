import Foundation

/// The rollout cap: at most `cap` nodes run an install or uninstall Job at once, so containerd
/// is never restarted fleet-wide. Nodes whose Jobs are visible in the Job cache count, plus
/// nodes granted a slot whose Job the cache does not show yet (so two concurrent reconciles
/// cannot both take the last slot).
public struct RolloutSlots: Sendable {
    /// Granted, Job not yet seen: node → when granted.
    private(set) var pending: [String: Date] = [:]
    /// Nodes that asked and were refused, oldest first: woken when a slot frees.
    private(set) var waiting: [String] = []
    /// A grant whose Job never shows up (creation failed without `release`) expires.
    let pendingTimeout: TimeInterval

    public init(pendingTimeout: TimeInterval = 30) { self.pendingTimeout = pendingTimeout }

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
            if !waiting.contains(node) { waiting.append(node) }
            return false
        }
        pending[node] = now
        waiting.removeAll { $0 == node }
        return true
    }

    /// Gives back a slot whose Job was not created.
    public mutating func release(_ node: String) {
        pending[node] = nil
    }

    /// A node stopped waiting (its plan no longer needs a slot).
    public mutating func forget(_ node: String) {
        waiting.removeAll { $0 == node }
    }

    /// Waiting nodes to wake because slots are free now (the cap grew as nodes were selected,
    /// or a grant expired): without this they would wait for a Job to finish, and the rollout
    /// would keep the parallelism it had when they were refused.
    public mutating func popWaitingForFreeSlots(active: Set<String>, cap: Int, now: Date) -> [String] {
        guard !waiting.isEmpty else { return [] }
        return popWaiting(cap - inFlight(active: active, now: now).count)
    }

    /// Up to `count` waiting nodes to wake, oldest first.
    public mutating func popWaiting(_ count: Int) -> [String] {
        let woken = Array(waiting.prefix(max(0, count)))
        waiting.removeFirst(woken.count)
        return woken
    }
}
