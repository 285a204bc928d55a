import KubernetesClient

/// The three requests a ``LeaderElector`` makes on its Lease. Normally built from a client with
/// ``client(_:name:namespace:)``; tests wrap it to simulate a partitioned replica.
public struct LeaseAccess: Sendable {
    /// Reads the Lease; `nil` when it does not exist.
    public var get: @Sendable () async throws -> Lease?
    public var create: @Sendable (Lease) async throws -> Lease
    /// Replaces the Lease (PUT) — it is ours; the resourceVersion in it makes the write conditional.
    public var replace: @Sendable (Lease) async throws -> Lease

    public init(
        get: @escaping @Sendable () async throws -> Lease?,
        create: @escaping @Sendable (Lease) async throws -> Lease,
        replace: @escaping @Sendable (Lease) async throws -> Lease
    ) {
        self.get = get
        self.create = create
        self.replace = replace
    }

    public static func client(_ client: KubernetesClient, name: String, namespace: String) -> LeaseAccess {
        LeaseAccess(
            get: { try await client.getIfExists(Lease.self, name: name, namespace: namespace) },
            create: { try await client.create($0, namespace: namespace) },
            replace: { try await client.replace($0) })
    }
}
