import Foundation

/// One request the server answered.
public struct RequestRecord: Sendable {
    public var verb: String
    public var method: String
    public var path: String
    public var query: String
    public var resource: String
    public var subresource: String?
    public var namespace: String?
    public var name: String?
    /// HTTP status answered (0 when the fault injector hung or dropped the request).
    public var status: Int
    /// `fieldManager` query parameter, when given.
    public var fieldManager: String?

    /// create, update, patch, delete and deletecollection.
    public var isWrite: Bool { ["create", "update", "patch", "delete", "deletecollection"].contains(verb) }
}

/// Counters by verb (never reset implicitly, O(1) per request) plus a bounded log of the latest
/// requests, so a long benchmark run does not grow without bound.
final class RequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var records: [RequestRecord] = []
    private var counts: [String: Int] = [:]
    private var countsByResource: [String: [String: Int]] = [:]
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func record(_ record: RequestRecord) {
        lock.withLock {
            counts[record.verb, default: 0] += 1
            countsByResource[record.resource, default: [:]][record.verb, default: 0] += 1
            records.append(record)
            if records.count > capacity + capacity / 4 { records.removeFirst(records.count - capacity) }
        }
    }

    var all: [RequestRecord] { lock.withLock { Array(records.suffix(capacity)) } }

    func counts(resource: String?) -> [String: Int] {
        lock.withLock { resource.map { countsByResource[$0] ?? [:] } ?? counts }
    }

    func reset() {
        lock.withLock {
            records.removeAll()
            counts.removeAll()
            countsByResource.removeAll()
        }
    }
}
