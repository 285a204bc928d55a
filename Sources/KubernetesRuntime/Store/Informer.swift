import KubernetesClient
import ServiceLifecycle

/// Keeps a cache current on its own, for a kind that controllers read but do not reconcile on
/// (client-go's informer without handlers): runs `watcher` into `writer` until graceful
/// shutdown or cancellation. Readers share ``store`` and wait for it with
/// ``Store/waitUntilSynced()``.
public struct Informer<Object: KubernetesResource>: Service {
    public let writer: StoreWriter<Object>
    private let watcher: Watcher<Object>

    public init(_ watcher: Watcher<Object>, into writer: StoreWriter<Object>) {
        self.watcher = watcher.reflect(into: writer)
        self.writer = writer
    }

    public var store: Store<Object> { writer.store }

    public func run() async throws {
        // Graceful shutdown cancels the watch; that is a normal end, not a failure.
        _ = try? await cancelWhenGracefulShutdown {
            for await _ in watcher {}
        }
    }
}
