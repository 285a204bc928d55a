import KubernetesClient

/// A secondary index of a ``Store`` (client-go's `IndexFunc`): the values an object is filed
/// under, e.g. the node a Job serves. The store keeps its indexes with its objects, under the
/// same lock and from the same watch event, so a lookup never sees one ahead of the other.
public struct StoreIndexer<Object: KubernetesResource>: Sendable {
    public let name: String
    /// The values `object` is filed under; empty leaves it out of the index.
    public let values: @Sendable (_ object: Object) -> [String]

    public init(_ name: String, values: @escaping @Sendable (_ object: Object) -> [String]) {
        self.name = name
        self.values = values
    }
}
