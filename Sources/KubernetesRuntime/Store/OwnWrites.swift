import Foundation
import KubernetesClient

/// Read-your-writes for a ``Store``: the objects this process just wrote (or deleted) through
/// the API, until the watch shows them. Without it a reconcile that runs before the watch
/// delivers our own write would plan the same write again (a wasted request, or a 409).
///
/// A pure value kept under the store's lock, so applying a watch event and forgetting the write
/// it shows are one step.
struct OwnWrites<Object: KubernetesResource>: Sendable {
    struct Entry: Sendable {
        var object: Object?  // nil: deleted
        var uid: String?
        var at: Date
    }

    private(set) var entries: [ObjectKey: Entry] = [:]
    /// After this long the cache is trusted again whatever it says.
    static var horizon: TimeInterval { 30 }

    var isEmpty: Bool { entries.isEmpty }

    mutating func wrote(_ object: Object, now: Date) {
        guard object.metadata.name != nil else { return }
        entries[ObjectKey(object)] = Entry(object: object, uid: object.metadata.uid, at: now)
    }

    mutating func deleted(_ key: ObjectKey, uid: String?, now: Date) {
        entries[key] = Entry(object: nil, uid: uid, at: now)
    }

    /// A watch event was applied to the cache: forget our write once the cache shows it (or
    /// shows that object gone). Keeps the entries to the writes in flight, which every read of
    /// an index visits. A relist settles nothing: entries expire or ``resolve(_:cached:now:)``
    /// settles them.
    mutating func observed(_ event: WatcherEvent<Object>) {
        switch event {
        case .restarted: return
        case .applied(let object): forget(object, gone: false)
        case .deleted(let object): forget(object, gone: true)
        }
    }

    private mutating func forget(_ object: Object, gone: Bool) {
        let key = ObjectKey(object)
        guard let entry = entries[key], entry.uid == nil || entry.uid == object.metadata.uid else { return }
        // Our delete shows once the object is gone; our write once a version at least as new is.
        let shown = gone || entry.object.map { Self.version(object) >= Self.version($0) } ?? false
        if shown { entries[key] = nil }
    }

    /// The newer of the cached object and our last write of it.
    mutating func resolve(_ key: ObjectKey, cached: Object?, now: Date) -> Object? {
        guard let entry = entries[key] else { return cached }
        if !Self.isLive(entry, now: now) {
            entries[key] = nil
            return cached
        }
        guard let written = entry.object else {
            // We deleted it: hide the cached copy of that same object until the cache drops it.
            guard let cached else { entries[key] = nil; return nil }
            if let uid = entry.uid, cached.metadata.uid != uid { entries[key] = nil; return cached }
            return nil
        }
        guard let cached else { return written }
        if cached.metadata.uid != written.metadata.uid {
            // A different incarnation in the cache: trust the newer creation.
            return Self.version(cached) > Self.version(written) ? cached : written
        }
        if Self.version(cached) >= Self.version(written) {
            entries[key] = nil
            return cached
        }
        return written
    }

    /// Drops the entries past the horizon; returns the keys of the live ones.
    mutating func liveKeys(now: Date) -> [ObjectKey] {
        if entries.values.contains(where: { !Self.isLive($0, now: now) }) {
            entries = entries.filter { Self.isLive($0.value, now: now) }
        }
        return Array(entries.keys)
    }

    private static func isLive(_ entry: Entry, now: Date) -> Bool {
        now.timeIntervalSince(entry.at) <= horizon
    }

    static func version(_ object: Object) -> UInt64 {
        object.metadata.resourceVersion.flatMap { UInt64($0) } ?? 0
    }
}
