import Foundation
import KubernetesClient
import Logging
import ServiceLifecycle
import Synchronization

/// Runs ``LeaderElectionStateMachine`` against a real Lease. Add it to the ServiceGroup next to
/// the controllers and hand it to them: they reconcile only while ``isLeader``.
///
/// On graceful shutdown it first lets the controllers that lead through it drain (stop taking
/// work, finish running reconciles — it keeps renewing meanwhile, for at most `drainTimeout`),
/// then releases the Lease so a standby replica takes over within one retry period. So the order
/// of services in the ServiceGroup does not matter. Observe leadership with ``isLeader`` or
/// ``leadershipChanges()``. Run it once.
public final class LeaderElector: Service, Sendable {
    public let configuration: LeaderElectionConfiguration
    private let access: LeaseAccess
    private let logger: Logger
    private let leadership = Broadcast(false)
    /// `true` once a graceful shutdown asks the controllers to drain before the release.
    private let draining = Broadcast(false)
    private let drainTimeout: Duration
    private let control = Mutex(Control())

    private struct Control {
        var shuttingDown = false
        /// Set by events that should end the current sleep early; consumed by the next sleep.
        var wake = false
        var sleeper: Task<Void, Never>?
        /// Controllers currently reconciling under this elector's leadership.
        var activeTerms = 0
    }

    /// Elects through the Lease `configuration.namespace/configuration.leaseName`.
    ///
    /// - Parameter drainTimeout: on graceful shutdown, the longest to wait for controllers to
    ///   finish their running reconciles before releasing the Lease.
    public convenience init(
        client: KubernetesClient, configuration: LeaderElectionConfiguration, drainTimeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "kubernetes-runtime.leader-election")
    ) {
        self.init(
            access: .client(client, name: configuration.leaseName, namespace: configuration.namespace),
            configuration: configuration, drainTimeout: drainTimeout, logger: logger)
    }

    public init(
        access: LeaseAccess, configuration: LeaderElectionConfiguration, drainTimeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "kubernetes-runtime.leader-election")
    ) {
        self.access = access
        self.configuration = configuration
        self.drainTimeout = drainTimeout
        var logger = logger
        logger[metadataKey: "lease"] = "\(configuration.namespace)/\(configuration.leaseName)"
        logger[metadataKey: "identity"] = "\(configuration.identity)"
        self.logger = logger
    }

    /// Whether this process holds the lease right now.
    public var isLeader: Bool { leadership.latest }

    /// The current leadership first, then every change (`true`: acquired, `false`: lost or
    /// released). Ends when the elector stops.
    public func leadershipChanges() -> AsyncStream<Bool> {
        leadership.subscribe()
    }

    /// Campaigns, leads and renews until graceful shutdown (then releases) or cancellation.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await campaign()
        } onGracefulShutdown: {
            self.requestShutdown()
        }
    }

    /// Stop campaigning, let controllers drain, release the lease; ``run()`` returns once that is done.
    public func requestShutdown() {
        let sleeper = control.withLock { control in
            control.shuttingDown = true
            control.wake = true
            return control.sleeper
        }
        sleeper?.cancel()
    }

    private var shutdownRequested: Bool { control.withLock { $0.shuttingDown } }

    /// Whether a graceful shutdown asked controllers to stop taking work.
    var isDraining: Bool { draining.latest }

    /// `false` first, then `true` when controllers should drain. Ends when the elector stops.
    func drainRequests() -> AsyncStream<Bool> {
        draining.subscribe()
    }

    /// A controller starts reconciling under our leadership; `false` when shutting down (do not start).
    func termStarted() -> Bool {
        control.withLock { control in
            guard !control.shuttingDown else { return false }
            control.activeTerms += 1
            return true
        }
    }

    /// A controller stopped reconciling (after ``termStarted()`` returned `true`).
    func termEnded() {
        let sleeper = control.withLock { control in
            control.activeTerms -= 1
            control.wake = true
            return control.sleeper
        }
        sleeper?.cancel()
    }

    private func campaign() async throws {
        let clock = ContinuousClock()
        var machine = LeaderElectionStateMachine<ContinuousClock.Instant>(configuration: configuration)
        var action = machine.start()
        var shutDownSent = false
        var drainDeadline: ContinuousClock.Instant?
        defer {
            leadership.publish(false, onlyChanges: true)
            leadership.finish()
            draining.finish()
        }
        /// Release only once no controller reconciles under our leadership (or it took too long).
        func mayRelease() -> Bool {
            !machine.isLeader || control.withLock { $0.activeTerms == 0 }
                || drainDeadline.map { clock.now >= $0 } == true
        }
        while true {
            apply(action.leadership)
            if shutdownRequested && !shutDownSent {
                if mayRelease() {
                    // Whatever was next (a renewal, an attempt to acquire) is superseded by the release.
                    shutDownSent = true
                    action = machine.shutDown(now: clock.now, wallNow: Date())
                    apply(action.leadership)
                } else if drainDeadline == nil {
                    // Keep renewing while the controllers finish what they are doing.
                    logger.info("shutting down: waiting for reconcilers to finish before releasing")
                    drainDeadline = clock.now.advanced(by: drainTimeout)
                    draining.publish(true, onlyChanges: true)
                }
            }
            if Task.isCancelled { return }
            switch action.step {
            case .stop:
                return
            case .wait(let delay):
                await sleep(for: delay)
                if shutdownRequested && !shutDownSent && mayRelease() {
                    action = .init(leadership: nil, step: .wait(.zero))
                    continue
                }
                action = machine.retryPeriodElapsed(now: clock.now, wallNow: Date())
            case .get:
                do {
                    let lease = try await withDeadline(machine.renewalDeadline) { [access] in try await access.get() }
                    action = machine.leaseRead(lease.map(Self.record), resourceVersion: lease?.metadata.resourceVersion, now: clock.now, wallNow: Date())
                } catch {
                    logger.debug("reading the lease failed", metadata: ["error": "\(error)"])
                    action = machine.requestFailed(conflict: false, now: clock.now)
                }
            case .create(let record):
                let lease = Lease(metadata: ObjectMeta(name: configuration.leaseName, namespace: configuration.namespace), spec: Self.spec(record))
                action = await write(lease, record: record, create: true, machine: &machine, clock: clock)
            case .update(let record, let version):
                let lease = Lease(
                    metadata: ObjectMeta(name: configuration.leaseName, namespace: configuration.namespace, resourceVersion: version),
                    spec: Self.spec(record))
                action = await write(lease, record: record, create: false, machine: &machine, clock: clock)
            }
        }
    }

    private func write(
        _ lease: Lease, record: LeaseRecord, create: Bool,
        machine: inout LeaderElectionStateMachine<ContinuousClock.Instant>, clock: ContinuousClock
    ) async -> LeaderElectionStateMachine<ContinuousClock.Instant>.Action {
        do {
            let written = try await withDeadline(machine.renewalDeadline) { [access] in
                create ? try await access.create(lease) : try await access.replace(lease)
            }
            return machine.writeSucceeded(record, resourceVersion: written.metadata.resourceVersion, now: clock.now)
        } catch {
            let apiError = error.kubernetesError
            let conflict = apiError?.isConflict == true || apiError?.isAlreadyExists == true
            if !conflict { logger.debug("writing the lease failed", metadata: ["error": "\(error)"]) }
            return machine.requestFailed(conflict: conflict, now: clock.now)
        }
    }

    private func apply(_ change: LeaderElectionStateMachine<ContinuousClock.Instant>.LeadershipChange?) {
        switch change {
        case .acquired?:
            logger.info("acquired leadership")
            leadership.publish(true, onlyChanges: true)
        case .lost?:
            logger.info(shutdownRequested ? "releasing leadership" : "lost leadership")
            leadership.publish(false, onlyChanges: true)
        case nil:
            break
        }
    }

    private func sleep(for delay: Duration) async {
        let task = Task { _ = try? await Task.sleep(for: delay) }
        let cancelNow = control.withLock { control in
            control.sleeper = task
            defer { control.wake = false }
            return control.wake
        }
        if cancelNow { task.cancel() }
        await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
        control.withLock { $0.sleeper = nil }
    }

    static func record(_ lease: Lease) -> LeaseRecord {
        LeaseRecord(
            holderIdentity: lease.spec?.holderIdentity,
            leaseDurationSeconds: lease.spec?.leaseDurationSeconds.map(Int.init),
            acquireTime: lease.spec?.acquireTime?.date,
            renewTime: lease.spec?.renewTime?.date,
            leaseTransitions: lease.spec?.leaseTransitions.map(Int.init))
    }

    static func spec(_ record: LeaseRecord) -> Lease.Spec {
        Lease.Spec(
            holderIdentity: record.holderIdentity ?? "",
            leaseDurationSeconds: record.leaseDurationSeconds.map { Int32(clamping: $0) },
            acquireTime: record.acquireTime.map(MicroTime.init),
            renewTime: record.renewTime.map(MicroTime.init),
            leaseTransitions: record.leaseTransitions.map { Int32(clamping: $0) })
    }
}
