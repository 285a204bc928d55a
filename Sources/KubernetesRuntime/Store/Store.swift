import Foundation
import KubernetesClient
import Synchronization

/// The read side of an in-memory cache of one kind (kube-rs' `reflector::Store`), shared by
/// every reader; only its ``StoreWriter``, fed by a ``Watcher``, changes what is cached.
///
/// Reads are snapshots taken under a lock and may be called from any task. A
/// ``WatcherEvent/restarted(_:)`` replaces the whole content at once, so objects deleted while
/// the watch was down disappear and readers never see a half-applied relist.
///
/// Read-your-writes: a reader that writes an object through the API reports it with
/// ``wrote(_:)`` or ``deleted(_:uid:)``. Until the watch shows that write (or 30 s pass),
/// ``get(_:)``, ``list()`` and the index lookups return the newer of the cached object and the
/// write. Counts, ``keys`` and ``reduce(into:_:)`` read the cache alone.
public final class Store<Object: KubernetesResource>: Sendable, SyncableCache {
    struct State {
        var content: StoreContent<Object>
        var ownWrites = OwnWrites<Object>()
        var synced = false
        var syncWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID = 0
    }

    let state: Mutex<State>

    init(indexers: [StoreIndexer<Object>]) {
        state = Mutex(State(content: StoreContent(indexers: indexers)))
    }

    /// Applies one watcher event (see ``StoreWriter``).
    func apply(_ event: WatcherEvent<Object>) {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.content.apply(event)
            state.ownWrites.observed(event)
            guard case .restarted = event, !state.synced else { return [] }
            state.synced = true
            defer { state.syncWaiters = [:] }
            return Array(state.syncWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: - Sync

    /// Whether a complete list has been applied at least once.
    public var isSynced: Bool { state.withLock { $0.synced } }

    /// Returns once the first complete list has been applied (kube-rs' `wait_until_ready`), or
    /// when the task is cancelled (check ``isSynced`` afterwards if that matters).
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

    // MARK: - Read-your-writes

    /// This process wrote `object` (the API server's answer): reads show it until the watch does.
    public func wrote(_ object: Object) {
        state.withLock { $0.ownWrites.wrote(object, now: Date()) }
    }

    /// This process deleted the object with `key` (and `uid`, if known): reads hide it until the
    /// watch drops it.
    public func deleted(_ key: ObjectKey, uid: String?) {
        state.withLock { $0.ownWrites.deleted(key, uid: uid, now: Date()) }
    }

    // MARK: - Reads

    /// The object with this key.
    public func get(_ key: ObjectKey) -> Object? {
        state.withLock { state in
            state.ownWrites.isEmpty ? state.content.objects[key] : state.ownWrites.resolve(key, cached: state.content.objects[key], now: Date())
        }
    }

    /// The object with this name (and namespace, for namespaced kinds).
    public func get(name: String, namespace: String? = nil) -> Object? {
        get(ObjectKey(namespace: namespace, name: name))
    }

    /// All objects, ordered by key.
    public func list() -> [Object] {
        let (snapshot, written) = state.withLock { state -> ([ObjectKey: Object], [ObjectKey: Object?]) in
            (state.content.objects, Self.resolveWrites(&state, now: Date()))
        }
        guard !written.isEmpty else {
            // Sort the keys, not the (key, object) pairs: moving large objects around is the cost.
            return snapshot.keys.sorted().map { snapshot[$0]! }
        }
        let keys = Set(snapshot.keys).union(written.keys).sorted()
        return keys.compactMap { key in written[key] ?? snapshot[key] }
    }

    /// The objects for which `predicate` holds, ordered by key.
    public func list(matching predicate: (Object) -> Bool) -> [Object] {
        list().filter(predicate)
    }

    /// The objects filed under `value` in the index `index` (client-go's `ByIndex`), ordered by
    /// key. Reads only those objects, never the whole cache. Objects we wrote that the cache
    /// lacks are filed by the index's own rule.
    public func byIndex(_ index: String, value: String) -> [Object] {
        state.withLock { state in
            let now = Date()
            var keys = state.content.keys(in: index, value: value)
            if let indexer = state.content.indexer(named: index) {
                for key in Self.uncachedWrites(state, now: now) where state.ownWrites.entries[key]?.object.map({ indexer.values($0).contains(value) }) == true {
                    keys.insert(key)
                }
            }
            return keys.sorted().compactMap { state.ownWrites.resolve($0, cached: state.content.objects[$0], now: now) }
        }
    }

    /// The values of every object filed in `index` (with our writes, as
    /// ``byIndex(_:value:)``), one per object and value, in no particular order. Copies no
    /// objects: e.g. the nodes of the Jobs that hold a rollout slot, read on every reconcile.
    public func indexedValues(_ index: String) -> [String] {
        state.withLock { state in
            let now = Date()
            let written = state.ownWrites.isEmpty ? [] : Set(state.ownWrites.liveKeys(now: now))
            var values: [String] = []
            for (key, filed) in state.content.filedValues(in: index) where !written.contains(key) { values += filed }
            guard let indexer = state.content.indexer(named: index) else { return values }
            for key in written {
                if let object = state.ownWrites.resolve(key, cached: state.content.objects[key], now: now) { values += indexer.values(object) }
            }
            return values
        }
    }

    /// How many cached objects are filed under `value` in `index` (the cache alone).
    public func count(_ index: String, value: String) -> Int {
        state.withLock { $0.content.keys(in: index, value: value).count }
    }

    /// Folds over the cached objects in no particular order, under the store's lock: nothing
    /// is copied or sorted, so periodic aggregates (counts per phase) stay cheap on a large
    /// cache. A snapshot held across writes (as ``list()`` returns) makes the next write copy
    /// the whole cache. Keep `update` short; it blocks the watch that feeds this store.
    public func reduce<Result: Sendable>(into initial: Result, _ update: (inout Result, Object) -> Void) -> Result {
        state.withLock { state in
            var result = initial
            for object in state.content.objects.values { update(&result, object) }
            return result
        }
    }

    /// All keys cached.
    public var keys: [ObjectKey] {
        state.withLock { Array($0.content.objects.keys) }.sorted()
    }

    public var count: Int { state.withLock { $0.content.objects.count } }

    /// Our live writes resolved against the cache: key → what reads show (nil: hidden).
    private static func resolveWrites(_ state: inout State, now: Date) -> [ObjectKey: Object?] {
        guard !state.ownWrites.isEmpty else { return [:] }
        var result: [ObjectKey: Object?] = [:]
        for key in state.ownWrites.liveKeys(now: now) {
            result[key] = .some(state.ownWrites.resolve(key, cached: state.content.objects[key], now: now))
        }
        return result
    }

    /// Keys of our live writes the cache does not hold.
    private static func uncachedWrites(_ state: State, now: Date) -> [ObjectKey] {
        state.ownWrites.entries.compactMap { key, entry in
            state.content.objects[key] == nil && now.timeIntervalSince(entry.at) <= OwnWrites<Object>.horizon ? key : nil
        }
    }
}
