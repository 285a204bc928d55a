import KubernetesClient

/// The objects of a cache and their indexes: a pure value that applies watch events.
struct StoreContent<Object: KubernetesResource>: Sendable {
    private(set) var objects: [ObjectKey: Object] = [:]
    /// index name → value → keys filed under it.
    private(set) var indexes: [String: [String: Set<ObjectKey>]] = [:]
    /// index name → key → the values it is filed under (to refile on change).
    private var filed: [String: [ObjectKey: [String]]] = [:]
    let indexers: [StoreIndexer<Object>]

    init(indexers: [StoreIndexer<Object>]) {
        self.indexers = indexers
    }

    mutating func apply(_ event: WatcherEvent<Object>) {
        switch event {
        case .restarted(let list):
            objects = [:]
            indexes = [:]
            filed = [:]
            for object in list { insert(object) }
        case .applied(let object):
            insert(object)
        case .deleted(let object):
            remove(ObjectKey(object))
        }
    }

    /// The keys filed under `value` in `index`.
    func keys(in index: String, value: String) -> Set<ObjectKey> {
        indexes[index]?[value] ?? []
    }

    /// Key → values, for every object filed in `index`.
    func filedValues(in index: String) -> [ObjectKey: [String]] {
        filed[index] ?? [:]
    }

    func indexer(named name: String) -> StoreIndexer<Object>? {
        indexers.first { $0.name == name }
    }

    private mutating func insert(_ object: Object) {
        let key = ObjectKey(object)
        remove(key)
        objects[key] = object
        for indexer in indexers {
            let values = indexer.values(object)
            guard !values.isEmpty else { continue }
            filed[indexer.name, default: [:]][key] = values
            for value in values { indexes[indexer.name, default: [:]][value, default: []].insert(key) }
        }
    }

    private mutating func remove(_ key: ObjectKey) {
        guard objects.removeValue(forKey: key) != nil else { return }
        for indexer in indexers {
            guard let values = filed[indexer.name]?.removeValue(forKey: key) else { continue }
            for value in values {
                indexes[indexer.name]?[value]?.remove(key)
                if indexes[indexer.name]?[value]?.isEmpty == true { indexes[indexer.name]?[value] = nil }
            }
        }
    }
}
