import FakeKubernetesAPI
import Synchronization

// Kept apart: this file imports FakeKubernetesAPI (its JSONValue would meet KubernetesClient's in the
// test files) and hands out plain values only.

/// Every state one object went through, as the API server committed it — what a user's
/// `kubectl get -w` would have printed, without the gaps a poll can fall into. Consecutive equal
/// snapshots are recorded once.
final class ObjectHistory<Snapshot: Sendable & Equatable>: Sendable {
    private let states = Mutex<[Snapshot]>([])
    private let follower = Mutex<Task<Void, Never>?>(nil)

    /// Starts recording `name` of `resource` now: its current state (or `absent`), then every change.
    init(api: FakeAPIServer, resource: ResourceDescriptor, name: String, absent: Snapshot,
         snapshot: @escaping @Sendable (JSONValue) -> Snapshot) {
        let (objects, changes) = api.listAndChanges(of: resource)
        let current = objects.first { $0["metadata"]?["name"]?.stringValue == name }
        append(current.map(snapshot) ?? absent)
        let task = Task { [weak self] in
            for await change in changes where change.name == name {
                guard let self else { return }
                self.append(change.type == .deleted ? absent : snapshot(change.object))
            }
        }
        follower.withLock { $0 = task }
    }

    deinit { follower.withLock { $0?.cancel() } }

    /// Stops recording (ends the subscription).
    func stop() { follower.withLock { $0?.cancel() } }

    /// The states recorded so far, oldest first.
    var recorded: [Snapshot] { states.withLock { $0 } }

    private func append(_ snapshot: Snapshot) {
        states.withLock { states in
            if states.last != snapshot { states.append(snapshot) }
        }
    }
}

/// The node's readiness label, as recorded by ``ObjectHistory``.
struct ReadinessLabel: Sendable, Equatable, CustomStringConvertible {
    /// `kwasm.sh/kwasm-provisioned`'s value; `nil` when the node does not carry it.
    var value: String?
    var description: String { value.map { "label=\($0)" } ?? "no label" }
}

/// What `kubectl get wns NODE -w` shows of one WasmNodeStatus, as recorded by ``ObjectHistory``.
struct StatusSnapshot: Sendable, Equatable, CustomStringConvertible {
    var exists = true
    var phase: String?
    /// Condition type → "status/reason".
    var conditions: [String: String] = [:]
    var lastErrorCode: String?
    var attempts: Int?

    var description: String {
        guard exists else { return "(deleted)" }
        let conditions = conditions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return "\(phase ?? "-") [\(conditions)] attempts=\(attempts.map(String.init) ?? "-") lastError=\(lastErrorCode ?? "-")"
    }
}

extension EndToEndCluster {
    /// Records every value the node's readiness label takes from now on.
    func recordReadinessLabel() -> ObjectHistory<ReadinessLabel> {
        ObjectHistory(api: cluster.api, resource: .nodes, name: Self.nodeName, absent: ReadinessLabel(value: nil)) { node in
            ReadinessLabel(value: node["metadata"]?["labels"]?["kwasm.sh/kwasm-provisioned"]?.stringValue)
        }
    }

    /// Records every state the node's WasmNodeStatus goes through from now on.
    func recordStatus() -> ObjectHistory<StatusSnapshot> {
        ObjectHistory(api: cluster.api, resource: .wasmNodeStatuses, name: Self.nodeName, absent: StatusSnapshot(exists: false)) { object in
            let status = object["status"]
            var conditions: [String: String] = [:]
            for condition in status?["conditions"]?.arrayValue ?? [] {
                guard let type = condition["type"]?.stringValue else { continue }
                conditions[type] = (condition["status"]?.stringValue ?? "?") + "/" + (condition["reason"]?.stringValue ?? "")
            }
            return StatusSnapshot(
                phase: status?["phase"]?.stringValue, conditions: conditions,
                lastErrorCode: status?["lastError"]?["code"]?.stringValue,
                attempts: status?["attempts"]?.intValue.map { Int($0) })
        }
    }
}
