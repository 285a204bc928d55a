import Foundation

/// Where and how to elect a leader. Defaults are client-go's: 15 s lease, 10 s renew deadline, 2 s retry.
public struct LeaderElectionConfiguration: Sendable {
    /// The Lease's name (`--lease-name`, default `kwasm-operator`).
    public var leaseName: String
    /// The Lease's namespace (`--leader-election-namespace`).
    public var namespace: String
    /// This candidate's identity; unique per process (the pod name plus a random suffix is typical).
    public var identity: String
    /// How long others wait, from when they saw the lease last change, before taking it over.
    public var leaseDuration: Duration
    /// How long the leader keeps trying to renew before it gives up leadership. Shorter than
    /// `leaseDuration`, so a leader that cannot renew stops before anybody else may start.
    public var renewDeadline: Duration
    /// How often candidates try to acquire and the leader renews.
    public var retryPeriod: Duration

    public init(
        leaseName: String, namespace: String, identity: String,
        leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)
    ) {
        precondition(leaseDuration > renewDeadline && renewDeadline > retryPeriod && retryPeriod > .zero,
                     "leader election needs leaseDuration > renewDeadline > retryPeriod > 0")
        self.leaseName = leaseName
        self.namespace = namespace
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
    }

    /// A candidate identity unique to this process: `<prefix>_<random UUID>` (client-go uses the
    /// hostname as prefix). Pass the pod name in-cluster so `kubectl get lease` shows who leads.
    public static func uniqueIdentity(prefix: String = ProcessInfo.processInfo.hostName) -> String {
        "\(prefix)_\(UUID().uuidString.lowercased())"
    }
}
