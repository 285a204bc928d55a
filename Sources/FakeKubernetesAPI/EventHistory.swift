/// The kind of a change, as watch events name it.
public enum WatchEventType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
}

/// One committed change (what etcd's revision log holds).
struct StoredEvent: Sendable {
    var resourceVersion: Int64
    var resource: ResourceID
    var key: String
    var type: WatchEventType
    var object: JSONValue
    /// The object before the change; nil for ADDED.
    var previous: JSONValue?
}

/// The retained window of changes, oldest first, bounded like etcd's compaction window.
struct EventHistory {
    private var events: [StoredEvent] = []
    private var head = 0
    let capacity: Int
    /// Events with a resourceVersion ≤ this are gone: watching from an older version answers 410.
    private(set) var compactedThrough: Int64 = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { events.count - head }

    mutating func append(_ event: StoredEvent) {
        events.append(event)
        if count > capacity {
            compactedThrough = events[head].resourceVersion
            head += 1
        }
        if head > 4096, head * 2 > events.count {
            events.removeFirst(head)
            head = 0
        }
    }

    /// Forgets every event up to and including `resourceVersion`.
    mutating func compact(through resourceVersion: Int64) {
        compactedThrough = max(compactedThrough, resourceVersion)
        let cut = firstIndex(after: resourceVersion)
        events.removeFirst(cut)
        head = 0
    }

    /// Whether a client may resume from `resourceVersion` without missing events.
    func canResume(from resourceVersion: Int64) -> Bool { resourceVersion >= compactedThrough }

    /// Retained events newer than `resourceVersion`, oldest first.
    func events(after resourceVersion: Int64) -> ArraySlice<StoredEvent> {
        events[firstIndex(after: resourceVersion)...]
    }

    private func firstIndex(after resourceVersion: Int64) -> Int {
        var low = head
        var high = events.count
        while low < high {
            let mid = (low + high) / 2
            if events[mid].resourceVersion <= resourceVersion { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
