import Foundation
import KubernetesClient
import Logging
import ServiceLifecycle
import Synchronization

/// Coordination between `kwasm-operator cleanup` (the Helm delete hook) and a still-running
/// operator, through the Lease `<lease-name>-cleanup`:
/// - while cleanup runs it keeps the Lease fresh (holder ``holder``) and the operator writes nothing;
/// - when cleanup has succeeded it marks the Lease finished (holder ``finishedHolder``): an operator
///   that sees that never writes again — the pause outlives the hook, so nothing is re-created
///   between the hook's end and Helm deleting the Deployment. The chart owns the Lease, so Helm
///   deletes it with the release and a re-install starts unpaused; a Lease cleanup had to create
///   itself (post-delete hook, plain manifests) it deletes again, leaving things as it found them.
/// Uses only Lease get/create/update/delete by name (the chart's RBAC).
public enum CleanupPause {
    public static let holder = "kwasm-operator-cleanup"
    public static let finishedHolder = "kwasm-operator-cleanup-finished"
    /// A cleanup that stopped renewing is ignored after this long.
    public static let freshness: TimeInterval = 300
    /// How often a running operator reads the Lease.
    public static let pollInterval: Duration = .seconds(5)
    /// Cleanup does not report success sooner than this after it paused the operator: by then
    /// every running operator has read the pause (two polls) and stopped writing.
    public static let settle: Duration = pollInterval * 2 + .seconds(2)

    public enum State: Sendable, Equatable {
        case running, paused, finished
    }

    public static func leaseName(_ configuration: OperatorConfiguration) -> String {
        configuration.leaseName + "-cleanup"
    }

    public static func state(_ lease: Lease?, now: Date) -> State {
        switch lease?.spec?.holderIdentity {
        case finishedHolder?:
            return .finished
        case holder?:
            guard let renewed = lease?.spec?.renewTime?.date else { return .running }
            return now.timeIntervalSince(renewed) < freshness ? .paused : .running
        default:
            return .running
        }
    }

    /// Cleanup side: create or renew the Lease; returns whether cleanup created it.
    @discardableResult
    static func renew(client: KubernetesClient, configuration: OperatorConfiguration) async throws -> Bool {
        try await write(holder: holder, renewed: Date(), client: client, configuration: configuration)
    }

    /// Cleanup side, after success: the operator stays paused for good; a Lease cleanup created is deleted.
    static func finish(created: Bool, client: KubernetesClient, configuration: OperatorConfiguration) async {
        if created {
            await delete(client: client, configuration: configuration)
        } else {
            _ = try? await write(holder: finishedHolder, renewed: Date(), client: client, configuration: configuration)
        }
    }

    /// Cleanup side, after a failure: the operator resumes at once (and repairs what cleanup left).
    static func release(created: Bool, client: KubernetesClient, configuration: OperatorConfiguration) async {
        if created {
            await delete(client: client, configuration: configuration)
        } else {
            _ = try? await write(holder: holder, renewed: Date(timeIntervalSince1970: 0), client: client, configuration: configuration)
        }
    }

    private static func write(holder: String, renewed: Date, client: KubernetesClient, configuration: OperatorConfiguration) async throws -> Bool {
        let name = leaseName(configuration)
        let namespace = configuration.leaderElectionNamespace
        let spec = Lease.Spec(holderIdentity: holder, leaseDurationSeconds: Int32(freshness), renewTime: MicroTime(renewed))
        if var existing = try await client.getIfExists(Lease.self, name: name, namespace: namespace) {
            existing.spec = spec
            _ = try await client.replace(existing)
            return false
        }
        _ = try await client.create(Lease(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec), namespace: namespace)
        return true
    }

    private static func delete(client: KubernetesClient, configuration: OperatorConfiguration) async {
        _ = try? await client.delete(Lease.self, name: leaseName(configuration), namespace: configuration.leaderElectionNamespace)
    }
}

/// Operator side: polls the cleanup Lease and publishes whether to pause; once it has seen a
/// finished cleanup it stays paused for the rest of the process (Helm deletes the Lease and the
/// Deployment right after the hook: the Lease's deletion must not resume this operator).
final class CleanupPauseWatcher: Service, Sendable {
    let client: KubernetesClient
    let configuration: OperatorConfiguration
    let logger: Logger
    let interval: Duration
    private let state = Mutex(CleanupPause.State.running)

    init(client: KubernetesClient, configuration: OperatorConfiguration, logger: Logger, interval: Duration = CleanupPause.pollInterval) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.interval = interval
    }

    var isPaused: Bool { state.withLock { $0 } != .running }

    /// Read the Lease now, right before a write that would undo cleanup (an installer Job, a
    /// RuntimeClass): false while cleanup runs, after it finished, or when the Lease cannot be read.
    func allowsWrites() async -> Bool {
        guard !isPaused, case .success(let lease) = await read() else { return false }
        return observe(lease) == .running
    }

    private func read() async -> Result<Lease?, any Error> {
        do {
            return .success(try await client.getIfExists(
                Lease.self, name: CleanupPause.leaseName(configuration), namespace: configuration.leaderElectionNamespace))
        } catch {
            return .failure(error)
        }
    }

    /// Records what the Lease says and returns the resulting state. Finished is sticky, and a
    /// Lease that disappears during a pause counts as finished: Helm deletes it with the release
    /// right after the hook, while this pod may run on for a few seconds.
    @discardableResult
    func observe(_ lease: Lease?) -> CleanupPause.State {
        let seen = CleanupPause.state(lease, now: Date())
        let (old, new) = state.withLock { value in
            let old = value
            switch (value, lease) {
            case (.finished, _): break
            case (.paused, nil): value = .finished
            default: value = seen
            }
            return (old, value)
        }
        if old != new {
            switch new {
            case .paused: logger.notice("cleanup in progress: pausing reconciles")
            case .finished: logger.notice("cleanup finished: this operator makes no more changes")
            case .running: logger.notice("cleanup over: resuming reconciles")
            }
        }
        return new
    }

    func run() async throws {
        // Graceful shutdown cancels the loop; that is a normal end, not a failure.
        _ = try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                // An unreadable Lease keeps the last state (a transient error must not resume a pause).
                if case .success(let lease) = await read() { observe(lease) }
                try await Task.sleep(for: interval)
            }
        }
    }
}
