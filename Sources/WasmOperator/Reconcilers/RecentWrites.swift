import Foundation
import KubernetesClient
import KubernetesRuntime
import Synchronization

/// Read-your-own-writes on top of the watch caches: the objects this operator just wrote,
/// until the cache catches up. Without it a reconcile that runs before the watch delivers our
/// own write would plan the same write again (a wasted request, or a 409).
final class RecentWrites<Object: KubernetesResource>: Sendable {
    private struct Entry {
        var object: Object?  // nil: deleted
        var uid: String?
        var at: Date
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// After this long the cache is trusted again whatever it says.
    private let horizon: TimeInterval = 30

    init() {}

    func wrote(_ object: Object) {
        guard let name = object.metadata.name else { return }
        entries.withLock { $0[name] = Entry(object: object, uid: object.metadata.uid, at: Date()) }
    }

    func deleted(name: String, uid: String?) {
        entries.withLock { $0[name] = Entry(object: nil, uid: uid, at: Date()) }
    }

    /// A watch event was applied to the cache: forget our write once the cache shows it (or
    /// shows that object gone). Keeps this set to the writes in flight, so ``pending(where:)``,
    /// read on every reconcile, stays small in a large rollout. Call after the cache applied it.
    func observed(_ event: WatcherEvent<Object>) {
        switch event {
        case .restarted:
            return  // entries expire or ``resolve(name:cached:)`` settles them
        case .applied(let object):
            forget(object, gone: false)
        case .deleted(let object):
            forget(object, gone: true)
        }
    }

    private func forget(_ object: Object, gone: Bool) {
        guard let name = object.metadata.name else { return }
        entries.withLock { entries in
            guard let entry = entries[name], entry.uid == nil || entry.uid == object.metadata.uid else { return }
            // Our delete shows once the object is gone; our write once a version at least as new is.
            let shown = gone || entry.object.map { Self.version(object) >= Self.version($0) } ?? false
            if shown { entries[name] = nil }
        }
    }

    /// The newer of the cached object and our last write of it.
    func resolve(name: String, cached: Object?) -> Object? {
        entries.withLock { entries in
            guard let entry = entries[name] else { return cached }
            if !isLive(entry, now: Date()) {
                entries[name] = nil
                return cached
            }
            guard let written = entry.object else {
                // We deleted it: hide the cached copy of that same object until the cache drops it.
                guard let cached else { entries[name] = nil; return nil }
                if let uid = entry.uid, cached.metadata.uid != uid { entries[name] = nil; return cached }
                return nil
            }
            guard let cached else { return written }
            if cached.metadata.uid != written.metadata.uid {
                // A different incarnation in the cache: trust the newer creation.
                return Self.version(cached) > Self.version(written) ? cached : written
            }
            if Self.version(cached) >= Self.version(written) {
                entries[name] = nil
                return cached
            }
            return written
        }
    }

    /// The names of the objects we wrote (or deleted) whose writes the cache may not show yet.
    func names() -> [String] {
        entries.withLock { entries in
            let now = Date()
            if entries.values.contains(where: { !isLive($0, now: now) }) {
                entries = entries.filter { isLive($0.value, now: now) }
            }
            return Array(entries.keys)
        }
    }

    /// Our writes the cache does not show yet (e.g. a Job just created).
    func pending(where predicate: (Object) -> Bool) -> [Object] {
        entries.withLock { entries in
            let now = Date()
            // Called on every reconcile: visit the entries once, rebuild only when some expired.
            var result: [Object] = []
            var expired = false
            for entry in entries.values {
                guard isLive(entry, now: now) else { expired = true; continue }
                if let object = entry.object, predicate(object) { result.append(object) }
            }
            if expired { entries = entries.filter { isLive($0.value, now: now) } }
            return result
        }
    }

    /// Within the horizon: after it the cache is trusted whatever it says.
    private func isLive(_ entry: Entry, now: Date) -> Bool {
        now.timeIntervalSince(entry.at) <= horizon
    }

    static func version(_ object: Object) -> UInt64 {
        object.metadata.resourceVersion.flatMap { UInt64($0) } ?? 0
    }
}
