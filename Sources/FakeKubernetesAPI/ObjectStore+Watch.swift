import KubernetesClient

/// Parameters of a watch request.
struct WatchQuery: Sendable {
    var namespace: String?
    var labels = LabelSelector.everything
    var fields = FieldSelector.everything
    var resourceVersion: String?
    var allowBookmarks = false
    var sendInitialEvents = false
}

extension ObjectStore {
    /// Opens a watch. The initial events (synthetic ADDED for a watch without resourceVersion,
    /// or the retained history after the given one) are queued before the watcher is registered,
    /// all under the lock, so nothing is missed or duplicated. A resourceVersion older than the
    /// retained window yields a single ERROR event (Status 410 Expired) and ends the stream.
    func watchLocked(
        _ resource: ResourceDescriptor, _ query: WatchQuery, drop: @escaping @Sendable () -> Void
    ) -> (stream: AsyncStream<[UInt8]>, finish: @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .unbounded)
        let id = nextIDLocked()
        let watcher = Watcher(
            id: id, resource: resource, namespace: resource.namespaced ? query.namespace : nil, labels: query.labels,
            fields: query.fields, bookmarks: query.allowBookmarks, continuation: continuation, drop: drop)
        let rvText = query.resourceVersion ?? ""
        if rvText.isEmpty || rvText == "0" || query.sendInitialEvents {
            let table = tables[resource.id]!
            for key in table.sortedKeys {
                guard let object = table.objects[key]?.object, watcher.matches(object) else { continue }
                continuation.yield(Self.watchLine(type: "ADDED", object: object))
            }
            if query.sendInitialEvents {
                continuation.yield(bookmarkLine(resource, annotations: ["k8s.io/initial-events-end": "true"]))
            }
        } else {
            guard let rv = Int64(rvText) else {
                continuation.yield(
                    Self.watchLine(
                        type: "ERROR", object: APIError.badRequest("invalid resource version: \(rvText)").status))
                continuation.finish()
                return (stream, { continuation.finish() })
            }
            guard history.canResume(from: rv) else {
                let error = APIError.expired("too old resource version: \(rv) (\(history.compactedThrough))")
                continuation.yield(Self.watchLine(type: "ERROR", object: error.status))
                continuation.finish()
                return (stream, { continuation.finish() })
            }
            for event in history.events(after: rv) where event.resource == resource.id {
                guard let type = watcher.visibleType(of: event) else { continue }
                continuation.yield(Self.watchLine(type: type.rawValue, object: watcher.visibleObject(of: event, as: type)))
            }
        }
        watchers[resource.id, default: [:]][id] = watcher
        continuation.onTermination = { [weak self] _ in self?.removeWatcher(resource.id, id) }
        return (stream, { continuation.finish() })
    }

    func removeWatcher(_ resource: ResourceID, _ id: Int) {
        withLock { _ = watchers[resource]?.removeValue(forKey: id) }
    }

    func bookmarkLine(_ resource: ResourceDescriptor, annotations: [String: JSONValue] = [:]) -> [UInt8] {
        var metadata: JSONValue = ["resourceVersion": .string(String(resourceVersion))]
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations) }
        let object: JSONValue = [
            "kind": .string(resource.kind), "apiVersion": .string(resource.apiVersion), "metadata": metadata,
        ]
        return Self.watchLine(type: "BOOKMARK", object: object)
    }

    /// Sends a BOOKMARK with the current resourceVersion to every watch that asked for them.
    func sendBookmarks() {
        withLock {
            for open in watchers.values {
                for watcher in open.values where watcher.bookmarks {
                    watcher.continuation.yield(bookmarkLine(watcher.resource))
                }
            }
        }
    }

    /// Every open watch; with `abruptly`, connections are cut without ending the HTTP stream.
    func endWatches(abruptly: Bool) -> Int {
        withLock {
            let all = watchers.values.flatMap(\.values)
            watchers.removeAll()
            for watcher in all {
                // An abrupt drop closes the connection first; its stream then finishes from the
                // connection's close, so the client never sees a clean end of the response.
                if abruptly { watcher.drop() } else { watcher.continuation.finish() }
            }
            return all.count
        }
    }

    var openWatchCount: Int { withLock { watchers.values.reduce(0) { $0 + $1.count } } }
}
