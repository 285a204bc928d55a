import Foundation
import KubernetesClient
import Logging
import ServiceLifecycle
import Synchronization

/// Runs ``LeaderElectionStateMachine`` against a real Lease. Add it to the ServiceGroup next to
/// the controllers and hand it to them: they reconcile only while ``isLeader``.
///
/// On graceful shutdown it releases the Lease (when it holds it) so a standby replica takes over
/// within one retry period. Observe leadership with ``isLeader`` or ``leadershipChanges()``.
///
/// List it *before* the controllers in the ServiceGroup: services shut down in reverse order, so
/// the controllers finish their running reconciles before the Lease is released. Run it once.
public final class LeaderElector: Service, Sendable {
    public let configuration: LeaderElectionConfiguration
    private let access: LeaseAccess
    private let logger: Logger
    private let leadership = Broadcast(false)
    private let control = Mutex(Control())

    private struct Control {
        var shuttingDown = false
        var sleeper: Task<Void, Never>?
    }

    /// Elects through the Lease `configuration.namespace/configuration.leaseName`.
    public convenience init(client: KubernetesClient, configuration: LeaderElectionConfiguration, logger: Logger = Logger(label: "kubernetes-runtime.leader-election")) {
        self.init(
            access: .client(client, name: configuration.leaseName, namespace: configuration.namespace),
            configuration: configuration, logger: logger)
    }

    public init(access: LeaseAccess, configuration: LeaderElectionConfiguration, logger: Logger = Logger(label: "kubernetes-runtime.leader-election")) {
        self.access = access
        self.configuration = configuration
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

    /// Stop campaigning and release the lease; ``run()`` returns once that is done.
    public func requestShutdown() {
        let sleeper = control.withLock { control in
            control.shuttingDown = true
            return control.sleeper
        }
        sleeper?.cancel()
    }

    private var shutdownRequested: Bool { control.withLock { $0.shuttingDown } }

    private func campaign() async throws {
        let clock = ContinuousClock()
        var machine = LeaderElectionStateMachine<ContinuousClock.Instant>(configuration: configuration)
        var action = machine.start()
        var shutDownSent = false
        defer {
            leadership.publish(false, onlyChanges: true)
            leadership.finish()
        }
        while true {
            apply(action.leadership)
            if shutdownRequested && !shutDownSent {
                // Whatever was next (a renewal, an attempt to acquire) is superseded by the release.
                shutDownSent = true
                action = machine.shutDown(now: clock.now, wallNow: Date())
                apply(action.leadership)
            }
            if Task.isCancelled { return }
            switch action.step {
            case .stop:
                return
            case .wait(let delay):
                await sleep(for: delay)
                if shutdownRequested && !shutDownSent {
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
            return control.shuttingDown
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
