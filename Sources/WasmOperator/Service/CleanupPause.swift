import Foundation
import KubernetesClient
import Logging
import ServiceLifecycle
import Synchronization

/// Coordination between `kwasm-operator cleanup` (the Helm pre-delete hook) and a still-running
/// operator: while cleanup runs it keeps a Lease named `<lease-name>-cleanup` fresh, and the
/// operator makes no changes while that Lease is fresh, so it does not re-install what cleanup
/// removes. Uses only Lease get/create/update (the chart's RBAC).
public enum CleanupPause {
    public static let holder = "kwasm-operator-cleanup"
    /// A cleanup that stopped renewing is ignored after this long.
    public static let freshness: TimeInterval = 300

    public static func leaseName(_ configuration: OperatorConfiguration) -> String {
        configuration.leaseName + "-cleanup"
    }

    public static func isFresh(_ lease: Lease?, now: Date) -> Bool {
        guard let lease, lease.spec?.holderIdentity == holder, let renewed = lease.spec?.renewTime?.date else { return false }
        return now.timeIntervalSince(renewed) < freshness
    }

    /// Cleanup side: create or renew the Lease.
    static func renew(client: KubernetesClient, configuration: OperatorConfiguration) async throws {
        let name = leaseName(configuration)
        let namespace = configuration.leaderElectionNamespace
        let spec = Lease.Spec(holderIdentity: holder, leaseDurationSeconds: Int32(freshness), renewTime: MicroTime(Date()))
        if var existing = try await client.getIfExists(Lease.self, name: name, namespace: namespace) {
            existing.spec = spec
            _ = try await client.replace(existing)
        } else {
            _ = try await client.create(Lease(metadata: ObjectMeta(name: name, namespace: namespace), spec: spec), namespace: namespace)
        }
    }

    /// Cleanup side: mark the Lease stale so a re-installed operator starts at once.
    static func release(client: KubernetesClient, configuration: OperatorConfiguration) async {
        guard var existing = try? await client.getIfExists(Lease.self, name: leaseName(configuration), namespace: configuration.leaderElectionNamespace)
        else { return }
        existing.spec?.renewTime = MicroTime(Date(timeIntervalSince1970: 0))
        _ = try? await client.replace(existing)
    }
}

/// Operator side: polls the cleanup Lease and publishes whether to pause.
final class CleanupPauseWatcher: Service, Sendable {
    let client: KubernetesClient
    let configuration: OperatorConfiguration
    let logger: Logger
    let interval: Duration
    private let paused = Mutex(false)

    init(client: KubernetesClient, configuration: OperatorConfiguration, logger: Logger, interval: Duration = .seconds(5)) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.interval = interval
    }

    var isPaused: Bool { paused.withLock { $0 } }

    func run() async throws {
        // Graceful shutdown cancels the loop; that is a normal end, not a failure.
        _ = try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                let lease = try? await client.getIfExists(
                    Lease.self, name: CleanupPause.leaseName(configuration), namespace: configuration.leaderElectionNamespace)
                let fresh = CleanupPause.isFresh(lease ?? nil, now: Date())
                let changed = paused.withLock { value in defer { value = fresh }; return value != fresh }
                if changed {
                    logger.notice(fresh ? "cleanup in progress: pausing reconciles" : "cleanup over: resuming reconciles")
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
