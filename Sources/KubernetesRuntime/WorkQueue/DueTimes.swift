/// Keys with due instants: set, cancel, earliest, and take everything due — all cheap with
/// thousands of keys (a binary min-heap with lazy deletion plus a dictionary of current dues).
struct DueTimes<Key: Hashable & Sendable, Instant: InstantProtocol & Sendable>: Sendable {
    private struct Entry: Sendable {
        var due: Instant
        var key: Key
    }

    private var heap: [Entry] = []
    private(set) var dues: [Key: Instant] = [:]

    var isEmpty: Bool { dues.isEmpty }
    var count: Int { dues.count }

    subscript(key: Key) -> Instant? { dues[key] }

    /// Sets or replaces the due instant of `key`.
    mutating func set(_ key: Key, due: Instant) {
        dues[key] = due
        push(Entry(due: due, key: key))
        // Stale entries are dropped lazily; rebuild when they dominate.
        if heap.count > 64 && heap.count > 4 * dues.count { rebuild() }
    }

    mutating func remove(_ key: Key) {
        dues[key] = nil
    }

    mutating func removeAll() {
        heap = []
        dues = [:]
    }

    /// The earliest due instant.
    mutating func earliest() -> Instant? {
        dropStaleTop()
        return heap.first?.due
    }

    /// Removes and returns the keys due at `now`, earliest first.
    mutating func takeDue(now: Instant) -> [Key] {
        var due: [Key] = []
        while true {
            dropStaleTop()
            guard let top = heap.first, top.due <= now else { return due }
            pop()
            dues[top.key] = nil
            due.append(top.key)
        }
    }

    private func isCurrent(_ entry: Entry) -> Bool { dues[entry.key] == entry.due }

    private mutating func dropStaleTop() {
        while let top = heap.first, !isCurrent(top) { pop() }
    }

    private mutating func rebuild() {
        heap = []
        for (key, due) in dues { push(Entry(due: due, key: key)) }
    }

    private mutating func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].due < heap[smallest].due { smallest = left }
            if right < heap.count && heap[right].due < heap[smallest].due { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
