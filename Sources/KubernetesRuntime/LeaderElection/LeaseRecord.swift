import Foundation

/// The leader-election fields of a `coordination.k8s.io/v1` Lease spec.
public struct LeaseRecord: Sendable, Hashable {
    /// Who holds the lease; `nil` or empty when it is free (e.g. after a release).
    public var holderIdentity: String?
    public var leaseDurationSeconds: Int?
    public var acquireTime: Date?
    public var renewTime: Date?
    public var leaseTransitions: Int?

    public init(
        holderIdentity: String? = nil, leaseDurationSeconds: Int? = nil, acquireTime: Date? = nil,
        renewTime: Date? = nil, leaseTransitions: Int? = nil
    ) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }

    /// The holder, with an empty string read as "nobody".
    public var holder: String? {
        guard let holderIdentity, !holderIdentity.isEmpty else { return nil }
        return holderIdentity
    }
}
