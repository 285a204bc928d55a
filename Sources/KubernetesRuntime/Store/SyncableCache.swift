/// A cache that becomes usable once its first complete list arrived; controllers start only
/// after theirs have (controller-runtime's `WaitForCacheSync`).
public protocol SyncableCache: Sendable {
    var isSynced: Bool { get }
    func waitUntilSynced() async
}
