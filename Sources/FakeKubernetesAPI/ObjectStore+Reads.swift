import Foundation
import KubernetesClient

/// Parameters of a list request.
struct ListQuery: Sendable {
    var namespace: String?
    var labels = LabelSelector.everything
    var fields = FieldSelector.everything
    var limit: Int?
    var continueToken: String?
    var resourceVersion: String?
    var resourceVersionMatch: String?
}

/// The `continue` token: the snapshot's resourceVersion and the last key returned.
struct ContinueToken: Codable {
    var rv: Int64
    var start: String

    var encoded: String { (try? JSONEncoder().encode(self))?.base64EncodedString() ?? "" }

    init(rv: Int64, start: String) {
        self.rv = rv
        self.start = start
    }

    init(decoding text: String) throws(APIError) {
        guard let data = Data(base64Encoded: text), let token = try? JSONDecoder().decode(ContinueToken.self, from: data)
        else { throw .badRequest("continue key is not valid: \(text)") }
        self = token
    }
}

extension ObjectStore {
    func getLocked(_ resource: ResourceDescriptor, namespace: String?, name: String) throws(APIError) -> JSONValue {
        try existing(resource, namespace: namespace, name: name).1.object
    }

    /// A list page. Pages after the first are served from the same snapshot as the first (the
    /// retained history is rolled back over the live table), so a paginated list is consistent;
    /// a token older than the retained window answers 410 Expired, like etcd after compaction.
    func listLocked(_ resource: ResourceDescriptor, _ query: ListQuery) throws(APIError) -> JSONValue {
        var snapshotRV = resourceVersion
        var start: String? = nil
        if let text = query.continueToken, !text.isEmpty {
            if let rv = query.resourceVersion, !rv.isEmpty {
                throw .badRequest("specifying resource version is not allowed when using continue")
            }
            let token = try ContinueToken(decoding: text)
            guard history.canResume(from: token.rv) else {
                throw .expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
            }
            snapshotRV = token.rv
            start = token.start
        } else if query.resourceVersionMatch == "Exact", let text = query.resourceVersion, let rv = Int64(text) {
            guard history.canResume(from: rv) else { throw .expired("too old resource version: \(rv) (\(history.compactedThrough))") }
            snapshotRV = min(rv, resourceVersion)
        }
        let table = tables[resource.id]!
        // Objects as they were at the snapshot, for keys changed since.
        var rolledBack: [String: JSONValue?] = [:]
        if snapshotRV < resourceVersion {
            for event in history.events(after: snapshotRV) where event.resource == resource.id {
                if rolledBack.index(forKey: event.key) == nil { rolledBack[event.key] = .some(event.previous) }
            }
        }
        let prefix = resource.namespaced && query.namespace != nil ? query.namespace! + "/" : ""
        func inRange(_ key: String) -> Bool {
            (prefix.isEmpty || key.hasPrefix(prefix)) && (start.map { key > $0 } ?? true)
        }
        let rolledBackKeys = rolledBack.keys.filter(inRange).sorted()
        let keys = table.sortedKeys
        var index = table.lowerBound(max(prefix, start.map { $0 + "\u{0}" } ?? ""))
        var extra = 0
        var items: [JSONValue] = []
        let limit = (query.limit ?? 0) > 0 ? query.limit! : Int.max
        var lastKey: String? = nil
        var more = false
        /// The next key in order, merging live keys with the keys rolled back to the snapshot; the object
        /// as of the snapshot (`nil`: it did not exist then).
        func next() -> (key: String, object: JSONValue?)? {
            let nextLive: String? = index < keys.count && inRange(keys[index]) ? keys[index] : nil
            let nextRolled: String? = extra < rolledBackKeys.count ? rolledBackKeys[extra] : nil
            if nextLive == nil && nextRolled == nil { return nil }
            let key: String
            if let live = nextLive, nextRolled == nil || live < nextRolled! {
                key = live
                index += 1
            } else {
                key = nextRolled!
                extra += 1
                if nextLive == key { index += 1 }
            }
            if let entry = rolledBack[key] { return (key, entry) }
            return (key, table.objects[key]?.object)
        }
        var remaining: Int64 = 0
        while let (key, object) = next() {
            guard let object else { continue }
            if items.count == limit {
                more = true
                remaining = 1
                break
            }
            lastKey = key
            if query.labels.matches(object: object), query.fields.matches(object: object) { items.append(object) }
        }
        var listMeta: JSONValue = ["resourceVersion": .string(String(snapshotRV))]
        if more, let lastKey { listMeta["continue"] = .string(ContinueToken(rv: snapshotRV, start: lastKey).encoded) }
        // Like the real server: how many objects follow, only when no selector filters them.
        if more, query.labels.requirements.isEmpty, query.fields.requirements.isEmpty {
            while let entry = next() { if entry.object != nil { remaining += 1 } }
            listMeta["remainingItemCount"] = .int(remaining)
        }
        return [
            "kind": .string(resource.listKind), "apiVersion": .string(resource.apiVersion), "metadata": listMeta,
            "items": .array(items),
        ]
    }
}
