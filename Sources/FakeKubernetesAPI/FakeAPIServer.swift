import Foundation
import KubernetesClient

/// An in-process fake kube-apiserver speaking real HTTP/1.1 (optionally HTTPS with client
/// certificates), independent of the project's client so it catches the client's bugs.
///
/// ```swift
/// let api = FakeAPIServer()
/// let port = try await api.start(host: "127.0.0.1", port: 0)
/// try api.create(["apiVersion": "v1", "kind": "Node", "metadata": ["name": "node-1"]])
/// // … point the client at api.baseURL …
/// await api.shutdown()
/// ```
///
/// Kept like the real server: one global, increasing resourceVersion; uid, creationTimestamp,
/// generation for the kinds that have one (custom resources, Jobs; bumped on changes outside metadata
/// and, with a status subresource, status);
/// generateName; 409 AlreadyExists / Conflict (stale resourceVersion on PUT, on a merge patch or
/// apply that carries one, delete preconditions); 422 Invalid for bad names, label keys and values,
/// annotation size, owner references, new finalizers on a deleting object; PUT requires
/// `metadata.resourceVersion` for custom resources and RuntimeClasses (other built-ins update unconditionally); status and spec written separately; no-op
/// writes do not change the resourceVersion nor emit events; finalizers and deletionTimestamp;
/// ownerReference garbage collection (background, foreground, orphan); label and field
/// selectors (unsupported field labels answer 400); limit/continue pagination served from a
/// consistent snapshot (`remainingItemCount` when no selector filters), 410 once the snapshot is compacted; watches from a resourceVersion
/// (replay), synthetic ADDED without one, 410 Expired as an ERROR event in a 200 stream,
/// BOOKMARKs, `timeoutSeconds`, selector transitions seen as ADDED/DELETED, `sendInitialEvents`;
/// Jobs get their server-defaulted selector and template labels; errors are `metav1.Status`.
///
/// Simplified: server-side apply tracks each manager's applied leaf fields (arrays are atomic,
/// no list-map merge keys, no `managedFields` in responses; conflicts only between appliers,
/// updates by PUT/merge patch own nothing); strategic merge patch answers 415 (merge and JSON patch work); apply
/// bodies must be JSON (valid YAML); deletion is immediate (no grace periods, no pod
/// termination); the garbage collector runs synchronously inside the deleting request; namespaces
/// are not deleted with their contents; `dryRun` answers 400; DELETE answers the object (never a
/// Status); list `resourceVersion` other than `resourceVersionMatch=Exact` is served from latest.
///
/// For tests there is in-process manipulation (`create`, `get`, `list`, `modify`, `replace`,
/// `mergePatch`, `delete`, `changes(of:)`), fault injection (`failNextRequests`,
/// `dropAllWatches`, `endAllWatches`, `expireResourceVersions`, `injectConflict`) and request
/// counters (`requestCounts`, `writeCount`, `requestLog`).
public final class FakeAPIServer: Sendable {
    /// Server configuration.
    public struct Options: Sendable {
        /// Kinds served; more can be added with `register(_:)`.
        public var resources: [ResourceDescriptor] = ResourceDescriptor.defaults
        /// How many changes are retained for watch resumption and paginated lists (etcd's
        /// compaction window); older resourceVersions answer 410 Expired.
        public var historyLimit = 10_000
        /// How often watches with `allowWatchBookmarks=true` get a BOOKMARK (the real server: ~1 min).
        public var bookmarkInterval: Duration = .seconds(1)
        /// When set, every request needs `Authorization: Bearer <token>` (401 otherwise).
        public var bearerToken: String?
        /// When set, the server speaks HTTPS.
        public var tls: TLSFiles?
        /// Reject creating namespaced objects in a namespace that does not exist (404), like the
        /// real server's NamespaceLifecycle admission. Off by default to keep test setup short.
        public var requireExistingNamespace = false
        /// Namespaces that exist from the start.
        public var initialNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]
        /// Run the ownerReference garbage collector.
        public var garbageCollection = true
        /// How many requests the log keeps (counters are unbounded).
        public var requestLogLimit = 100_000

        public init() {}
    }

    /// PEM files for HTTPS.
    public struct TLSFiles: Sendable {
        public var certificateChainPath: String
        public var privateKeyPath: String
        /// When set, clients must present a certificate signed by this CA.
        public var clientCAPath: String?

        public init(certificateChainPath: String, privateKeyPath: String, clientCAPath: String? = nil) {
            self.certificateChainPath = certificateChainPath
            self.privateKeyPath = privateKeyPath
            self.clientCAPath = clientCAPath
        }
    }

    let options: Options
    let store: ObjectStore
    let faults = FaultInjector()
    let log: RequestLog
    let http = HTTPServer()
    private let tokenLock = NSLock()
    nonisolated(unsafe) private var acceptedToken: String?

    public init(options: Options = Options()) {
        self.options = options
        self.store = ObjectStore(options: options)
        self.log = RequestLog(capacity: options.requestLogLimit)
        self.acceptedToken = options.bearerToken
        store.withLock {
            for namespace in options.initialNamespaces {
                _ = try? store.createLocked(
                    .namespaces, namespace: nil,
                    body: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)], "spec": ["finalizers": ["kubernetes"]]],
                    scope: .everything)
            }
        }
    }

    // MARK: Lifecycle

    /// Starts serving; returns the bound port (pass 0 for any free port).
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        try await http.start(host: host, port: port, tls: options.tls, api: self)
    }

    /// Stops serving: closes the listener, every connection and every watch.
    public func shutdown() async {
        _ = store.endWatches(abruptly: false)
        await http.shutdown()
    }

    /// `http://HOST:PORT` or `https://…` once started.
    public var baseURL: String { http.baseURL }

    // MARK: Registry

    /// Serves another kind (e.g. a CRD) from now on.
    public func register(_ resource: ResourceDescriptor) {
        store.withLock { store.registerLocked(resource) }
    }

    /// The kinds served.
    public var resources: [ResourceDescriptor] { store.withLock { store.allDescriptors } }

    /// The newest resourceVersion handed out.
    public var currentResourceVersion: Int64 { store.withLock { store.resourceVersion } }

    // MARK: In-process object manipulation (same rules as HTTP, minus subresource separation)

    private func resolve(_ object: JSONValue) throws(APIError) -> ResourceDescriptor {
        guard let apiVersion = object["apiVersion"]?.stringValue, let kind = object["kind"]?.stringValue,
            let resource = store.withLock({ store.descriptor(apiVersion: apiVersion, kind: kind) })
        else { throw .badRequest("no registered resource for apiVersion/kind of \(object)") }
        return resource
    }

    /// Creates an object whose apiVersion/kind says what it is; namespace defaults to
    /// `metadata.namespace`. Status is stored too (tests set up any state they need).
    @discardableResult
    public func create(_ object: JSONValue, namespace: String? = nil) throws(APIError) -> JSONValue {
        try create(resolve(object), object, namespace: namespace)
    }

    /// Creates an object of `resource`.
    @discardableResult
    public func create(_ resource: ResourceDescriptor, _ object: JSONValue, namespace: String? = nil) throws(APIError)
        -> JSONValue
    {
        var body = object
        if body["apiVersion"] == nil { body["apiVersion"] = .string(resource.apiVersion) }
        if body["kind"] == nil { body["kind"] = .string(resource.kind) }
        let ns = namespace ?? object["metadata"]?["namespace"]?.stringValue
        return try store.withLock { () throws(APIError) -> JSONValue in
            try store.createLocked(resource, namespace: ns, body: body, scope: .everything)
        }
    }

    /// The stored object, or nil.
    public func get(_ resource: ResourceDescriptor, namespace: String? = nil, name: String) -> JSONValue? {
        store.withLock { try? store.getLocked(resource, namespace: namespace, name: name) }
    }

    /// All objects of a kind (optionally in one namespace / matching a label selector), in key order.
    public func list(_ resource: ResourceDescriptor, namespace: String? = nil, labelSelector: String? = nil)
        throws(APIError) -> [JSONValue]
    {
        var query = ListQuery(namespace: namespace)
        if let labelSelector { query.labels = try LabelSelector.query(labelSelector) }
        let list = try store.withLock { () throws(APIError) -> JSONValue in try store.listLocked(resource, query) }
        return list["items"]?.arrayValue ?? []
    }

    /// Number of stored objects of a kind.
    public func count(_ resource: ResourceDescriptor) -> Int {
        store.withLock { store.tables[resource.id]?.objects.count ?? 0 }
    }

    /// Replaces an object (spec and status). With `metadata.resourceVersion` set it must match
    /// (409 otherwise); without, the write is unconditional.
    @discardableResult
    public func replace(_ resource: ResourceDescriptor, _ object: JSONValue) throws(APIError) -> JSONValue {
        let name = object["metadata"]?["name"]?.stringValue ?? ""
        let namespace = object["metadata"]?["namespace"]?.stringValue
        return try store.withLock { () throws(APIError) -> JSONValue in
            try store.updateLocked(
                resource, namespace: namespace, name: name, body: object, scope: .everything,
                requireResourceVersion: false)
        }
    }

    /// Atomically reads, changes and writes an object (spec and status), e.g. a simulated kubelet
    /// marking a Pod terminated: `try api.modify(.pods, namespace: "ns", name: "p") { $0["status"] = [...] }`.
    @discardableResult
    public func modify(
        _ resource: ResourceDescriptor, namespace: String? = nil, name: String,
        _ change: (inout JSONValue) throws -> Void
    ) throws -> JSONValue {
        try store.withLock {
            var object = try store.getLocked(resource, namespace: namespace, name: name)
            try change(&object)
            return try store.updateLocked(
                resource, namespace: namespace, name: name, body: object, scope: .everything,
                requireResourceVersion: false)
        }
    }

    /// Applies a JSON merge patch (spec and status).
    @discardableResult
    public func mergePatch(_ resource: ResourceDescriptor, namespace: String? = nil, name: String, _ patch: JSONValue)
        throws(APIError) -> JSONValue
    {
        try store.withLock { () throws(APIError) -> JSONValue in
            try store.mergePatchLocked(resource, namespace: namespace, name: name, patch: patch, scope: .everything)
        }
    }

    /// Deletes like an HTTP DELETE (finalizers and garbage collection included). Returns the
    /// object's last state (with deletionTimestamp when finalizers keep it).
    @discardableResult
    public func delete(
        _ resource: ResourceDescriptor, namespace: String? = nil, name: String,
        propagation: PropagationPolicy = .background
    ) throws(APIError) -> JSONValue {
        try store.withLock { () throws(APIError) -> JSONValue in
            try store.deleteLocked(resource, namespace: namespace, name: name, propagation: propagation)
        }
    }

    /// Every committed change from now on (of one kind, or of all kinds), in commit order.
    public func changes(of resource: ResourceDescriptor? = nil) -> AsyncStream<ObjectChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: ObjectChange.self, bufferingPolicy: .unbounded)
        store.withLock {
            let id = store.nextIDLocked()
            store.subscribers[id] = (resource?.id, continuation)
            continuation.onTermination = { [store] _ in store.withLock { _ = store.subscribers.removeValue(forKey: id) } }
        }
        return stream
    }

    /// The current objects of a kind plus every change after them, taken atomically (no gap,
    /// no duplicate) — the in-process equivalent of list-then-watch.
    public func listAndChanges(of resource: ResourceDescriptor) -> (objects: [JSONValue], changes: AsyncStream<ObjectChange>) {
        store.withLock {
            let stream = changes(of: resource)
            let table = store.tables[resource.id]
            let objects = table.map { t in t.sortedKeys.compactMap { t.objects[$0]?.object } } ?? []
            return (objects, stream)
        }
    }

    // MARK: Fault injection

    /// The next `count` requests matching `predicate` get `fault` instead of their answer.
    /// Rules queue up; the first matching rule is used.
    public func failNextRequests(
        _ count: Int = 1, with fault: Fault, where predicate: @escaping @Sendable (RequestInfo) -> Bool = { _ in true }
    ) {
        faults.add(count: count, fault: fault, matching: predicate)
    }

    /// Convenience: match by verb (`list`, `watch`, `patch`, …) and/or resource plural.
    public func failNextRequests(_ count: Int = 1, with fault: Fault, verb: String? = nil, resource: String? = nil) {
        failNextRequests(count, with: fault) { request in
            (verb == nil || request.verb == verb) && (resource == nil || request.resource == resource)
        }
    }

    /// The next `count` writes (update, patch, apply, delete) to this object answer 409 Conflict.
    public func injectConflict(_ resource: ResourceDescriptor, namespace: String? = nil, name: String, count: Int = 1) {
        faults.addConflict(resource: resource.plural, namespace: resource.namespaced ? namespace : nil, name: name, count: count)
    }

    /// Removes every pending fault rule and injected conflict.
    public func clearFaults() { faults.clear() }

    /// Cuts every open watch connection abruptly (no final chunk); returns how many.
    @discardableResult
    public func dropAllWatches() -> Int { store.endWatches(abruptly: true) }

    /// Ends every open watch cleanly, as a server-side timeout does; returns how many.
    @discardableResult
    public func endAllWatches() -> Int { store.endWatches(abruptly: false) }

    /// Compacts the history: every resourceVersion handed out so far becomes too old to watch
    /// from or to continue a list with (410 Expired), as after an etcd compaction.
    public func expireResourceVersions() {
        store.withLock { store.history.compact(through: store.resourceVersion) }
    }

    /// Changes the accepted bearer token (nil: no authentication), e.g. to test token rotation.
    public func setBearerToken(_ token: String?) {
        tokenLock.withLock { acceptedToken = token }
    }

    var bearerToken: String? { tokenLock.withLock { acceptedToken } }

    /// Open watch streams right now.
    public var openWatchCount: Int { store.openWatchCount }

    // MARK: Counters

    /// Requests answered, by Kubernetes verb (`get`, `list`, `watch`, `create`, `update`,
    /// `patch`, `delete`, …), for all resources or one resource plural.
    public func requestCounts(resource: String? = nil) -> [String: Int] { log.counts(resource: resource) }

    /// Writes (create, update, patch, delete, deletecollection) answered, optionally for one resource plural.
    public func writeCount(resource: String? = nil) -> Int {
        requestCounts(resource: resource).filter {
            ["create", "update", "patch", "delete", "deletecollection"].contains($0.key)
        }.values.reduce(0, +)
    }

    /// The latest requests, oldest first (bounded by `Options.requestLogLimit`).
    public func requestLog() -> [RequestRecord] { log.all }

    /// Clears the log and the counters.
    public func resetRequestLog() { log.reset() }
}
