import KubernetesClient
import KubernetesRuntime
import Synchronization

/// Our Jobs or Pods grouped by the node they serve (`kwasm.sh/node` annotation), kept from the
/// same watch events as the ``Store``. A reconcile then reads one node's objects in O(its
/// objects) instead of listing (and sorting) the whole cache, which made a rollout O(N²).
///
/// Apply each event here before the ``Store``: readers gate on the store being synced, so the
/// index is never behind it.
final class ObjectsByNode<Object: KubernetesResource>: Sendable {
    private struct State {
        /// node → object name → object.
        var byNode: [String: [String: Object]] = [:]
        /// object name → node, to move or drop an object whose annotation changed.
        var nodeOf: [String: String] = [:]
        /// Objects for which `isTracked` holds (e.g. Jobs holding rollout slots): name → node.
        var tracked: [String: String] = [:]
    }

    private let state = Mutex(State())
    /// Picks the objects to list in a separate small set, readable without visiting every node
    /// (decided once per event, not on every read).
    private let isTracked: @Sendable (Object) -> Bool

    init(tracking isTracked: @escaping @Sendable (Object) -> Bool = { _ in false }) {
        self.isTracked = isTracked
    }

    func apply(_ event: WatcherEvent<Object>) {
        state.withLock { state in
            switch event {
            case .restarted(let objects):
                state = State()
                for object in objects { insert(object, into: &state) }
            case .applied(let object):
                remove(name: object.metadata.name ?? "", from: &state)
                insert(object, into: &state)
            case .deleted(let object):
                remove(name: object.metadata.name ?? "", from: &state)
            }
        }
    }

    /// `node`'s objects, ordered by name (as ``Store/list(matching:)`` orders them).
    func objects(for node: String) -> [Object] {
        let objects = state.withLock { $0.byNode[node] }
        return (objects ?? [:]).sorted { $0.key < $1.key }.map(\.value)
    }

    /// The cached object named `name`.
    func object(named name: String) -> Object? {
        state.withLock { state in state.nodeOf[name].flatMap { state.byNode[$0]?[name] } }
    }

    /// The nodes of the objects for which `isTracked` holds, by object name.
    func trackedNodes() -> [String: String] {
        state.withLock { $0.tracked }
    }

    private func insert(_ object: Object, into state: inout State) {
        guard let name = object.metadata.name,
              let node = object.metadata.annotations?[WellKnown.nodeNameAnnotation] else { return }
        state.byNode[node, default: [:]][name] = object
        state.nodeOf[name] = node
        if isTracked(object) { state.tracked[name] = node }
    }

    private func remove(name: String, from state: inout State) {
        state.tracked[name] = nil
        guard let node = state.nodeOf.removeValue(forKey: name) else { return }
        state.byNode[node]?[name] = nil
        if state.byNode[node]?.isEmpty == true { state.byNode[node] = nil }
    }
}
