import KubernetesClient

/// The write side of a cache (kube-rs' `reflector::store::Writer`): applies watch events to its
/// ``store``, which everyone else reads. Feed it with ``Watcher/reflect(into:)``.
///
/// ```swift
/// let jobs = StoreWriter<Job>(indexers: [StoreIndexer("node") { [$0.metadata.annotations?["kwasm.sh/node"]].compactMap { $0 } }])
/// controller.owns(Watcher<Job>(client: client).reflect(into: jobs))
/// jobs.store.byIndex("node", value: "worker-1")
/// ```
public final class StoreWriter<Object: KubernetesResource>: Sendable {
    /// The read side, to share.
    public let store: Store<Object>

    public init(indexers: [StoreIndexer<Object>] = []) {
        store = Store(indexers: indexers)
    }

    /// Applies one watcher event to the objects, the indexes and the read-your-writes overlay
    /// in one step.
    public func apply(_ event: WatcherEvent<Object>) {
        store.apply(event)
    }
}
