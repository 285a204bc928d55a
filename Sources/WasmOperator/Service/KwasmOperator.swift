import Foundation
import KubernetesClient
import KubernetesRuntime
import Logging
import ServiceLifecycle
import Synchronization

/// The operator process: watchers feeding caches (``OperatorCaches``), the node controller, the
/// RuntimeClass reconciler, leader election, the event recorder and the probe/metrics servers, run as one
/// ServiceLifecycle group with graceful shutdown on SIGTERM/SIGINT.
public final class KwasmOperator: Sendable {
    public let context: OperatorContext
    let caches: OperatorCaches
    public let boundPorts = ProbeServer.BoundPorts()
    public let elector: LeaderElector?
    let pause: CleanupPauseWatcher?
    let group: Mutex<ServiceGroup?> = Mutex(nil)
    let logger: Logger

    /// - Parameters:
    ///   - identity: this replica's leader-election identity (pod name + random suffix by default).
    ///   - cleanup: run as `kwasm-operator cleanup` (uninstall everywhere; never paused).
    public init(
        configuration: OperatorConfiguration, client: KubernetesClient, metrics: OperatorMetrics = OperatorMetrics(),
        logger: Logger, identity: String? = nil, cleanup: Bool = false
    ) {
        let identity = identity ?? Self.defaultIdentity()
        self.logger = logger
        let recorder = EventRecorder(
            client: client, reportingController: "kwasm.sh/operator", reportingInstance: identity, logger: logger)
        let pause = cleanup ? nil : CleanupPauseWatcher(client: client, configuration: configuration, logger: logger)
        var writeGate: (@Sendable () async -> Bool)?
        if let pause { writeGate = { await pause.allowsWrites() } }
        caches = OperatorCaches(configuration: configuration)
        context = OperatorContext(
            client: client, configuration: configuration, caches: caches, recorder: recorder, metrics: metrics, logger: logger,
            cleanup: cleanup, writeGate: writeGate)
        if configuration.leaderElect, !cleanup {
            elector = LeaderElector(
                client: client,
                configuration: LeaderElectionConfiguration(
                    leaseName: configuration.leaseName, namespace: configuration.leaderElectionNamespace,
                    identity: identity, leaseDuration: configuration.leaseDuration,
                    renewDeadline: configuration.renewDeadline, retryPeriod: configuration.retryPeriod),
                logger: logger)
        } else {
            elector = nil
        }
        self.pause = pause
    }

    static func defaultIdentity() -> String {
        let host = ProcessInfo.processInfo.environment["POD_NAME"] ?? ProcessInfo.processInfo.hostName
        return "\(host)-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Caches synced: `/readyz`.
    public var isReady: Bool {
        context.nodes.isSynced && context.statuses.isSynced && context.jobs.isSynced && context.pods.isSynced
            && context.runtimeClasses.isSynced
    }

    /// The services of one operator process (without the probe servers).
    func coreServices() -> [any Service] {
        let context = self.context
        let client = context.client
        let configuration = context.configuration
        let managed = "\(WellKnown.managedByLabel)=\(WellKnown.managedByValue)"
        let pause = self.pause
        let caches = self.caches

        var controller = Controller<Node, OperatorContext>(
            store: context.nodes, context: context, name: NodeReconciler.controllerName,
            maxConcurrency: configuration.reconcileConcurrency, elector: elector, observer: context.metrics, logger: logger,
            reconcile: { node, context in
                if pause?.isPaused == true { return .requeue(after: .seconds(5)) }
                return try await NodeReconciler.reconcile(node, context)
            },
            errorPolicy: NodeReconciler.errorPolicy)
        // The node reconciler reads every cache: no reconcile before each holds a complete list.
        controller.waitsForSync(of: [context.statuses, context.jobs, context.pods, context.runtimeClasses])
        controller.watches(Watcher<Node>(client: client, logger: logger).reflect(into: caches.nodes))
        controller.owns(Watcher<WasmNodeStatus>(client: client, labelSelector: managed, logger: logger).reflect(into: caches.statuses))
        // The operator reads only the metadata and status of Jobs and Pods: their pod templates
        // are not decoded.
        controller.owns(Watcher<Job>(
            client: client, namespace: configuration.namespace, labelSelector: managed, decodesSpec: false, logger: logger)
            .reflect(into: caches.jobs))
        controller.watches(
            Watcher<Pod>(
                client: client, namespace: configuration.namespace, labelSelector: managed, decodesSpec: false, logger: logger)
                .reflect(into: caches.pods),
            mapping: { (pod: Pod) in
                pod.metadata.annotations?[WellKnown.nodeNameAnnotation].map { [ObjectKey(name: $0)] } ?? []
            })
        // Read by the node and RuntimeClass reconcilers; a RuntimeClass change reconciles no node.
        let runtimeClasses = Informer(
            Watcher<RuntimeClass>(client: client, labelSelector: managed, logger: logger), into: caches.runtimeClasses)
        let queue = controller
        // A woken node has a rollout slot kept for it: reconcile it before the backlog.
        context.rolloutGate.onWake { nodes in for node in nodes { queue.enqueueFirst(ObjectKey(name: node)) } }

        var services: [any Service] = [runtimeClasses, controller, context.recorder, MetricsRefresher(context: context)]
        if !context.cleanup {
            services.append(RuntimeClassService(
                context: context, elector: elector, pause: pause, interval: configuration.runtimeClassSyncInterval))
        }
        if let elector { services.append(elector) }
        if let pause { services.append(pause) }
        return services
    }

    func probeServices() -> [any Service] {
        let configuration = context.configuration
        let ready: @Sendable () -> Bool = { [weak self] in self?.isReady ?? false }
        var services: [any Service] = []
        switch (configuration.healthProbeBindAddress, configuration.metricsBindAddress) {
        case let (probes?, metrics?) where probes == metrics && probes.port != 0:
            services.append(ProbeServer.make(address: probes, endpoints: .both, metrics: context.metrics, isReady: ready, boundPorts: boundPorts, logger: logger))
        case let (probes, metrics):
            if let probes {
                services.append(ProbeServer.make(address: probes, endpoints: .probes, metrics: context.metrics, isReady: ready, boundPorts: boundPorts, logger: logger))
            }
            if let metrics {
                services.append(ProbeServer.make(address: metrics, endpoints: .metrics, metrics: context.metrics, isReady: ready, boundPorts: boundPorts, logger: logger))
            }
        }
        return services
    }

    /// Runs until SIGTERM/SIGINT (graceful) or ``shutdown()``.
    public func run(handleSignals: Bool = true) async throws {
        let group = ServiceGroup(
            services: coreServices() + probeServices(),
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: logger)
        self.group.withLock { $0 = group }
        logger.info("kwasm-operator starting", metadata: [
            "namespace": "\(context.configuration.namespace)", "installerImage": "\(context.configuration.installerImage)",
            "runtimes": "\(context.configuration.runtimes.map(\.name).joined(separator: ","))", "specHash": "\(context.specHash)",
            "leaderElect": "\(context.configuration.leaderElect)",
        ])
        try await group.run()
        logger.info("kwasm-operator stopped")
    }

    /// Graceful shutdown: stop taking work, finish running reconciles, release the Lease.
    public func shutdown() async {
        let group = self.group.withLock { $0 }
        await group?.triggerGracefulShutdown()
    }
}

/// Keeps the per-phase and jobs-in-flight gauges current from the caches.
struct MetricsRefresher: Service {
    let context: OperatorContext

    func run() async throws {
        // Graceful shutdown cancels the loop; that is a normal end, not a failure.
        _ = try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let counts = context.statuses.reduce(into: [String: Int]()) { counts, status in
                    if let phase = status.status?.phase?.rawValue { counts[phase, default: 0] += 1 }
                }
                context.metrics.setNodesPerPhase(counts)
                let running = context.jobs.reduce(into: 0) { running, job in
                    if InstallerJobObservation(job: job, pods: []).map({ !$0.isFinished }) ?? false { running += 1 }
                }
                context.metrics.setJobsInFlight(running)
                try await Task.sleep(for: .seconds(2))
            }
        }
    }
}
