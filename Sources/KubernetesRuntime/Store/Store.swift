import KubernetesClient
import Synchronization

/// An in-memory cache of one kind, fed by a ``Watcher`` (the reflector half of client-go's
/// informer).
///
/// Reads are snapshots taken under a lock and may be called from any task. A
/// ``WatcherEvent/restarted(_:)`` replaces the whole content at once, so objects deleted while
/// the watch was down disappear and readers never see a half-applied relist.
public final class Store<Object: KubernetesResource>: Sendable {
    private struct State {
        var objects: [ObjectKey: Object] = [:]
        var synced = false
        var syncWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Applies one watcher event.
    public func apply(_ event: WatcherEvent<Object>) {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            switch event {
            case .restarted(let objects):
                state.objects = Dictionary(objects.map { (ObjectKey($0), $0) }, uniquingKeysWith: { _, last in last })
                state.synced = true
                defer { state.syncWaiters = [:] }
                return Array(state.syncWaiters.values)
            case .applied(let object):
                state.objects[ObjectKey(object)] = object
            case .deleted(let object):
                state.objects[ObjectKey(object)] = nil
            }
            return []
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Whether a complete list has been applied at least once.
    public var isSynced: Bool { state.withLock { $0.synced } }

    /// Returns once the first complete list has been applied, or when the task is cancelled
    /// (check ``isSynced`` afterwards if that matters).
    public func waitUntilSynced() async {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state in
                    if state.synced || Task.isCancelled { return true }
                    state.syncWaiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.syncWaiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// The cached object with this key.
    public func get(_ key: ObjectKey) -> Object? {
        state.withLock { $0.objects[key] }
    }

    /// The cached object with this name (and namespace, for namespaced kinds).
    public func get(name: String, namespace: String? = nil) -> Object? {
        get(ObjectKey(namespace: namespace, name: name))
    }

    /// All cached objects, ordered by key.
    public func list() -> [Object] {
        let snapshot = state.withLock { $0.objects }
        // Sort the keys, not the (key, object) pairs: moving large objects around is the cost.
        return snapshot.keys.sorted().map { snapshot[$0]! }
    }

    /// Folds over the cached objects in no particular order, under the store's lock: nothing
    /// is copied or sorted, so periodic aggregates (counts per phase) stay cheap on a large
    /// cache. A snapshot held across writes (as ``list()`` returns) makes the next write copy
    /// the whole cache. Keep `update` short; it blocks the watch that feeds this store.
    public func reduce<Result: Sendable>(into initial: Result, _ update: (inout Result, Object) -> Void) -> Result {
        state.withLock { state in
            var result = initial
            for object in state.objects.values { update(&result, object) }
            return result
        }
    }

    /// The cached objects for which `predicate` holds, ordered by key.
    public func list(matching predicate: (Object) -> Bool) -> [Object] {
        list().filter(predicate)
    }

    /// All keys currently cached.
    public var keys: [ObjectKey] {
        state.withLock { Array($0.objects.keys) }.sorted()
    }

    public var count: Int { state.withLock { $0.objects.count } }
}
