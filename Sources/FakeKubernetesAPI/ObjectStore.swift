import Foundation
import KubernetesClient

/// One object as stored, with the field sets of the managers that applied it.
struct StoredObject: Sendable {
    var object: JSONValue
    var appliedFields: [String: ServerSideApply.FieldSet] = [:]
}

/// Objects of one resource, by key (`ns/name` or `name`), with the keys kept sorted so lists and
/// pagination walk them in etcd order without sorting per request.
final class ResourceTable {
    var objects: [String: StoredObject] = [:]
    private(set) var sortedKeys: [String] = []

    func insertKey(_ key: String) {
        let index = lowerBound(key)
        if index < sortedKeys.count, sortedKeys[index] == key { return }
        sortedKeys.insert(key, at: index)
    }

    func removeKey(_ key: String) {
        let index = lowerBound(key)
        if index < sortedKeys.count, sortedKeys[index] == key { sortedKeys.remove(at: index) }
    }

    /// First index whose key is ≥ `key`.
    func lowerBound(_ key: String) -> Int {
        var low = 0
        var high = sortedKeys.count
        while low < high {
            let mid = (low + high) / 2
            if sortedKeys[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

/// Where an object lives.
struct ObjectLocation: Hashable, Sendable {
    var resource: ResourceID
    var key: String
}

/// An open watch: its filter and the stream its HTTP response is written from.
final class Watcher: @unchecked Sendable {
    let id: Int
    let resource: ResourceDescriptor
    let namespace: String?
    let labels: LabelSelector
    let fields: FieldSelector
    let bookmarks: Bool
    let continuation: AsyncStream<[UInt8]>.Continuation
    /// Closes the connection abruptly (fault injection).
    let drop: @Sendable () -> Void

    init(
        id: Int, resource: ResourceDescriptor, namespace: String?, labels: LabelSelector, fields: FieldSelector,
        bookmarks: Bool, continuation: AsyncStream<[UInt8]>.Continuation, drop: @escaping @Sendable () -> Void
    ) {
        self.id = id
        self.resource = resource
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.bookmarks = bookmarks
        self.continuation = continuation
        self.drop = drop
    }

    func matches(_ object: JSONValue) -> Bool {
        if let namespace, object["metadata"]?["namespace"]?.stringValue != namespace { return false }
        return labels.matches(object: object) && fields.matches(object: object)
    }

    /// The object a watcher is sent for `event` seen as `type`: an object that stopped matching is sent
    /// as it was before the change (the state that matched), with the change's resourceVersion — what
    /// the real watch cache sends.
    func visibleObject(of event: StoredEvent, as type: WatchEventType) -> JSONValue {
        guard event.type == .modified, type == .deleted, var previous = event.previous else { return event.object }
        previous["metadata"]?["resourceVersion"] = .string(String(event.resourceVersion))
        return previous
    }

    /// What this watcher sees of a change: an object that starts or stops matching the selectors
    /// is ADDED or DELETED for it, like the real watch cache does.
    func visibleType(of event: StoredEvent) -> WatchEventType? {
        switch event.type {
        case .added: return matches(event.object) ? .added : nil
        case .deleted: return matches(event.object) ? .deleted : nil
        case .modified:
            let now = matches(event.object)
            let before = event.previous.map(matches) ?? false
            switch (before, now) {
            case (true, true): return .modified
            case (false, true): return .added
            case (true, false): return .deleted
            case (false, false): return nil
            }
        }
    }
}

/// A change seen by an in-process subscriber.
public struct ObjectChange: Sendable {
    public var type: WatchEventType
    public var resource: ResourceDescriptor
    /// The object after the change (for DELETED: its last state, with the deletion's resourceVersion).
    public var object: JSONValue
    /// The object before the change; nil for ADDED.
    public var previous: JSONValue?
    public var resourceVersion: Int64

    public var name: String { object["metadata"]?["name"]?.stringValue ?? "" }
    public var namespace: String? { object["metadata"]?["namespace"]?.stringValue }
}

/// The fake's etcd plus registry: every object, one global resourceVersion counter, the retained
/// change history and the open watches. All state is guarded by one lock; every operation is
/// O(log n) or O(1) in the number of stored objects, except lists (O(page)).
final class ObjectStore: @unchecked Sendable {
    let lock = NSRecursiveLock()
    private(set) var descriptors: [ResourceID: ResourceDescriptor] = [:]
    var kindIndex: [String: ResourceID] = [:]
    var tables: [ResourceID: ResourceTable] = [:]
    var resourceVersion: Int64 = 1
    var history: EventHistory
    var uidIndex: [String: ObjectLocation] = [:]
    /// Owner uid → uids of the objects naming it in ownerReferences.
    var dependents: [String: Set<String>] = [:]
    var watchers: [ResourceID: [Int: Watcher]] = [:]
    var subscribers: [Int: (filter: ResourceID?, continuation: AsyncStream<ObjectChange>.Continuation)] = [:]
    var nextID = 1
    let options: FakeAPIServer.Options

    init(options: FakeAPIServer.Options) {
        self.options = options
        self.history = EventHistory(capacity: options.historyLimit)
        for descriptor in options.resources { registerLocked(descriptor) }
    }

    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func registerLocked(_ descriptor: ResourceDescriptor) {
        descriptors[descriptor.id] = descriptor
        kindIndex["\(descriptor.apiVersion)/\(descriptor.kind)"] = descriptor.id
        if tables[descriptor.id] == nil { tables[descriptor.id] = ResourceTable() }
    }

    var allDescriptors: [ResourceDescriptor] { Array(descriptors.values) }

    func descriptor(group: String, plural: String) -> ResourceDescriptor? {
        descriptors[ResourceID(group: group, plural: plural)]
    }

    func descriptor(apiVersion: String, kind: String) -> ResourceDescriptor? {
        kindIndex["\(apiVersion)/\(kind)"].flatMap { descriptors[$0] }
    }

    static func key(namespace: String?, name: String) -> String {
        if let namespace, !namespace.isEmpty { return "\(namespace)/\(name)" }
        return name
    }

    // MARK: Commit: the single place that changes stored state

    /// Stores `new` (or deletes when nil), assigns the next resourceVersion, keeps the indexes,
    /// records history and fans the change out. Returns the object as committed.
    @discardableResult
    func commitLocked(_ resource: ResourceDescriptor, key: String, old: StoredObject?, new: StoredObject?) -> JSONValue {
        resourceVersion += 1
        let rv = resourceVersion
        let table = tables[resource.id]!
        let location = ObjectLocation(resource: resource.id, key: key)
        let type: WatchEventType
        var committed: JSONValue
        if var new {
            new.object["metadata"]!["resourceVersion"] = .string(String(rv))
            committed = new.object
            type = old == nil ? .added : .modified
            table.objects[key] = new
            if old == nil { table.insertKey(key) }
            if let uid = Self.uid(of: committed) { uidIndex[uid] = location }
            updateOwnerIndex(dependent: committed, previous: old?.object)
        } else {
            guard let old else { return .null }
            committed = old.object
            committed["metadata"]!["resourceVersion"] = .string(String(rv))
            type = .deleted
            table.objects.removeValue(forKey: key)
            table.removeKey(key)
            if let uid = Self.uid(of: committed) { uidIndex.removeValue(forKey: uid) }
            updateOwnerIndex(dependent: nil, previous: old.object)
        }
        publishLocked(
            StoredEvent(
                resourceVersion: rv, resource: resource.id, key: key, type: type, object: committed,
                previous: old?.object))
        return committed
    }

    private func publishLocked(_ event: StoredEvent) {
        history.append(event)
        if let open = watchers[event.resource], !open.isEmpty {
            var encoded: [WatchEventType: [UInt8]] = [:]
            for watcher in open.values {
                guard let type = watcher.visibleType(of: event) else { continue }
                let bytes = encoded[type] ?? Self.watchLine(type: type.rawValue, object: watcher.visibleObject(of: event, as: type))
                encoded[type] = bytes
                watcher.continuation.yield(bytes)
            }
        }
        if !subscribers.isEmpty, let descriptor = descriptors[event.resource] {
            let change = ObjectChange(
                type: event.type, resource: descriptor, object: event.object, previous: event.previous,
                resourceVersion: event.resourceVersion)
            for subscriber in subscribers.values where subscriber.filter == nil || subscriber.filter == event.resource {
                subscriber.continuation.yield(change)
            }
        }
    }

    static func watchLine(type: String, object: JSONValue) -> [UInt8] {
        var out: [UInt8] = Array("{\"type\":\"\(type)\",\"object\":".utf8)
        object.write(into: &out)
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    private func updateOwnerIndex(dependent: JSONValue?, previous: JSONValue?) {
        let oldOwners = Set(previous.map(Self.ownerUIDs) ?? [])
        let newOwners = Set(dependent.map(Self.ownerUIDs) ?? [])
        guard oldOwners != newOwners, let uid = Self.uid(of: dependent ?? previous ?? .null) else { return }
        for owner in oldOwners.subtracting(newOwners) {
            dependents[owner]?.remove(uid)
            if dependents[owner]?.isEmpty == true { dependents.removeValue(forKey: owner) }
        }
        for owner in newOwners.subtracting(oldOwners) { dependents[owner, default: []].insert(uid) }
    }

    // MARK: Small accessors

    static func uid(of object: JSONValue) -> String? { object["metadata"]?["uid"]?.stringValue }

    static func ownerUIDs(_ object: JSONValue) -> [String] {
        (object["metadata"]?["ownerReferences"]?.arrayValue ?? []).compactMap { $0["uid"]?.stringValue }
    }

    static func finalizers(_ object: JSONValue) -> [String] {
        (object["metadata"]?["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    func stored(at location: ObjectLocation) -> StoredObject? {
        tables[location.resource]?.objects[location.key]
    }

    func nextIDLocked() -> Int {
        nextID += 1
        return nextID
    }
}
