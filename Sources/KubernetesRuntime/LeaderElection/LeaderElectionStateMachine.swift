import Foundation

/// Lease-based leader election (client-go's algorithm) as a pure value.
///
/// - A candidate reads the Lease and takes it when it is free or expired. "Expired" is judged by
///   *our* clock: the lease must not have changed for `leaseDurationSeconds` since we first saw
///   its current content, so clock skew between nodes does not matter.
/// - Writes carry the resourceVersion read (optimistic concurrency); a 409 makes us re-read.
/// - The leader renews every retry period and gives leadership up (``LeadershipChange/lost``, so
///   reconcilers stop) once it could not renew for `renewDeadline`.
/// - ``shutDown(now:wallNow:)`` releases a held lease (no holder, 1 s duration) so another
///   candidate takes over within a retry period instead of waiting for expiry.
/// - `leaseTransitions` counts each change of holder.
///
/// `Instant` is the monotonic clock used for timing; `Date`s are only written into the Lease.
public struct LeaderElectionStateMachine<Instant: InstantProtocol<Duration> & Sendable>: Sendable {
    /// What the owner must do next, and whether leadership changed.
    public struct Action: Sendable, Equatable {
        public var leadership: LeadershipChange?
        public var step: Step
    }

    public enum LeadershipChange: Sendable, Equatable {
        case acquired
        case lost
    }

    public enum Step: Sendable, Equatable {
        /// Read the Lease; report with ``leaseRead(_:resourceVersion:now:wallNow:)`` (`nil` record
        /// for 404) or ``requestFailed(conflict:now:)``.
        case get
        /// Create the Lease with this record; report with ``writeSucceeded(_:resourceVersion:now:)``
        /// or ``requestFailed(conflict:now:)`` (AlreadyExists counts as a conflict).
        case create(LeaseRecord)
        /// Replace the Lease's spec with this record, sending `resourceVersion` for optimistic concurrency.
        case update(LeaseRecord, resourceVersion: String)
        /// Sleep, then call ``retryPeriodElapsed(now:wallNow:)``.
        case wait(Duration)
        /// Election is over (after ``shutDown(now:wallNow:)``).
        case stop
    }

    private enum Phase: Sendable { case running, releasing(attemptsLeft: Int), stopped }

    public let identity: String
    public let leaseDuration: Duration
    public let renewDeadline: Duration
    public let retryPeriod: Duration

    private var phase: Phase = .running
    /// The lease as we last saw it, its resourceVersion, and when (by our clock) its content last changed.
    private var observed: LeaseRecord?
    private var observedResourceVersion: String?
    private var observedAt: Instant?
    /// When we last renewed successfully; `nil` when we are not the leader.
    private var lastRenewal: Instant?

    public init(identity: String, leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)) {
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
    }

    public init(configuration: LeaderElectionConfiguration) {
        self.init(
            identity: configuration.identity, leaseDuration: configuration.leaseDuration,
            renewDeadline: configuration.renewDeadline, retryPeriod: configuration.retryPeriod)
    }

    public var isLeader: Bool { lastRenewal != nil }

    /// The lease as last observed.
    public var observedRecord: LeaseRecord? { observed }

    /// The instant by which a renewal in flight must succeed; `nil` when not leading. An owner
    /// should give up a request at this point and report it as failed.
    public var renewalDeadline: Instant? { lastRenewal?.advanced(by: renewDeadline) }

    public mutating func start() -> Action {
        Action(step: .get)
    }

    /// The Lease was read; `record` is `nil` when it does not exist.
    public mutating func leaseRead(_ record: LeaseRecord?, resourceVersion: String?, now: Instant, wallNow: Date) -> Action {
        if case .stopped = phase { return Action(step: .stop) }
        if record != observed || observedAt == nil {
            observed = record
            observedAt = now
        }
        observedResourceVersion = resourceVersion

        if case .releasing = phase {
            guard let record, record.holder == identity, let resourceVersion else { return finish() }
            return Action(step: .update(releasedRecord(from: record, wallNow: wallNow), resourceVersion: resourceVersion))
        }

        guard let record else {
            return Action(step: .create(claim(previous: nil, wallNow: wallNow)))
        }
        if let holder = record.holder, holder != identity, !isExpired(record, now: now) {
            // Somebody else holds a valid lease.
            return Action(leadership: loseLeadership(), step: .wait(retryPeriod))
        }
        guard let resourceVersion else { return Action(step: .wait(retryPeriod)) }
        if let deadline = renewalDeadline, now >= deadline {
            return Action(leadership: loseLeadership(), step: .wait(retryPeriod))
        }
        return Action(step: .update(claim(previous: record, wallNow: wallNow), resourceVersion: resourceVersion))
    }

    /// A create or update was accepted; `record` is what we wrote.
    public mutating func writeSucceeded(_ record: LeaseRecord, resourceVersion: String?, now: Instant) -> Action {
        observed = record
        observedAt = now
        observedResourceVersion = resourceVersion
        switch phase {
        case .releasing, .stopped:
            return finish()
        case .running:
            let acquired = lastRenewal == nil
            lastRenewal = now
            return Action(leadership: acquired ? .acquired : nil, step: .wait(retryPeriod))
        }
    }

    /// A request failed. `conflict`: 409 (stale resourceVersion or the Lease already exists).
    public mutating func requestFailed(conflict: Bool, now: Instant) -> Action {
        switch phase {
        case .stopped:
            return Action(step: .stop)
        case .releasing(let attemptsLeft):
            // Releasing is a courtesy; the lease expires anyway.
            guard conflict, attemptsLeft > 0 else { return finish() }
            phase = .releasing(attemptsLeft: attemptsLeft - 1)
            return Action(step: .get)
        case .running:
            if let deadline = renewalDeadline, now >= deadline {
                return Action(leadership: loseLeadership(), step: .wait(retryPeriod))
            }
            // After a conflict our resourceVersion is stale: read again right away.
            return Action(step: conflict ? .get : .wait(retryPeriod))
        }
    }

    /// The retry period is over: renew (when leading) or try to acquire.
    public mutating func retryPeriodElapsed(now: Instant, wallNow: Date) -> Action {
        switch phase {
        case .stopped, .releasing: return finish()
        case .running: break
        }
        if let deadline = renewalDeadline, now >= deadline {
            return Action(leadership: loseLeadership(), step: .wait(retryPeriod))
        }
        // The leader renews from what it wrote last, saving a read; a 409 sends it to `get`.
        if isLeader, let observed, observed.holder == identity, let version = observedResourceVersion {
            return Action(step: .update(claim(previous: observed, wallNow: wallNow), resourceVersion: version))
        }
        return Action(step: .get)
    }

    /// Graceful shutdown: release the lease if we hold it, then stop.
    public mutating func shutDown(now: Instant, wallNow: Date) -> Action {
        switch phase {
        case .stopped: return Action(step: .stop)
        case .releasing: return Action(step: .stop)
        case .running: break
        }
        guard isLeader, let observed, observed.holder == identity, let version = observedResourceVersion else {
            return finish()
        }
        lastRenewal = nil
        phase = .releasing(attemptsLeft: 2)
        return Action(leadership: .lost, step: .update(releasedRecord(from: observed, wallNow: wallNow), resourceVersion: version))
    }

    private func isExpired(_ record: LeaseRecord, now: Instant) -> Bool {
        guard let observedAt else { return false }
        let duration = record.leaseDurationSeconds.map { Duration.seconds($0) } ?? leaseDuration
        return observedAt.advanced(by: duration) <= now
    }

    /// The record we write to acquire or renew.
    private func claim(previous: LeaseRecord?, wallNow: Date) -> LeaseRecord {
        let seconds = Int((leaseDuration.seconds).rounded(.up))
        guard let previous else {
            return LeaseRecord(holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: wallNow, renewTime: wallNow, leaseTransitions: 0)
        }
        if previous.holder == identity {
            return LeaseRecord(
                holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: previous.acquireTime ?? wallNow,
                renewTime: wallNow, leaseTransitions: previous.leaseTransitions ?? 0)
        }
        return LeaseRecord(
            holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: wallNow, renewTime: wallNow,
            leaseTransitions: (previous.leaseTransitions ?? 0) + 1)
    }

    private func releasedRecord(from record: LeaseRecord, wallNow: Date) -> LeaseRecord {
        LeaseRecord(holderIdentity: nil, leaseDurationSeconds: 1, acquireTime: wallNow, renewTime: wallNow, leaseTransitions: record.leaseTransitions)
    }

    private mutating func loseLeadership() -> LeadershipChange? {
        guard lastRenewal != nil else { return nil }
        lastRenewal = nil
        return .lost
    }

    private mutating func finish() -> Action {
        let change = loseLeadership()
        phase = .stopped
        return Action(leadership: change, step: .stop)
    }
}
