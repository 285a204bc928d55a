import FakeKubernetesAPI
import KubernetesEnvtest
import Foundation
import KubernetesClient
import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import KubernetesRuntime

/// Controllers over Nodes on the fake and the real API server.
@Suite struct ControllerIntegrationTests {
    struct Context: Sendable {
        let reconciled = Recorder<String>()
    }

    func count(_ context: Context, _ name: String) -> Int {
        context.reconciled.all.filter { $0 == name }.count
    }

    func nodeController(
        _ cluster: TestCluster, context: Context = Context(), elector: LeaderElector? = nil,
        reconcile: @escaping Controller<Node, Context>.Reconcile = { node, context in
            context.reconciled.append(node.metadata.name ?? "")
            return .done
        },
        errorPolicy: @escaping ErrorPolicy<Node, Context> = { _, _, _ in .requeueWithBackoff }
    ) -> (Controller<Node, Context>, Store<Node>) {
        let writer = StoreWriter<Node>(), nodes = writer.store
        var controller = Controller(store: nodes, context: context, elector: elector, reconcile: reconcile, errorPolicy: errorPolicy)
        controller.watches(Watcher<Node>(source: .client(cluster.client), backoff: quickBackoff).reflect(into: writer))
        return (controller, nodes)
    }

    func lease(_ name: String, labels: [String: String] = [:], ownerNode: Node? = nil) -> Lease {
        Lease(
            metadata: ObjectMeta(
                name: name, namespace: "default", labels: labels.isEmpty ? nil : labels,
                ownerReferences: ownerNode.map { [$0.ownerReference()] }),
            spec: Lease.Spec())
    }

    @Test(arguments: TestServerKind.available)
    func reconcilesEveryObjectAndEachChange(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            try await cluster.createNode("a")
            try await cluster.createNode("b")
            let context = Context()
            let (controller, _) = nodeController(cluster, context: context)
            let run = Task { try await controller.run() }
            defer { run.cancel() }
            try await eventually("both nodes reconciled") { count(context, "a") >= 1 && count(context, "b") >= 1 }
            let before = count(context, "a")
            try await cluster.labelNode("a", "kwasm.sh/kwasm-node", "true")
            try await eventually("the change is reconciled") { count(context, "a") > before }
        }
    }

    @Test(arguments: TestServerKind.available)
    func ownedObjectsTriggerTheirOwner(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            let owner = try await cluster.client.create(Node(metadata: ObjectMeta(name: "owner")))
            try await cluster.createNode("bystander")
            let context = Context()
            var (controller, _) = nodeController(cluster, context: context)
            controller.owns(Watcher<Lease>(source: .client(cluster.client, namespace: "default"), backoff: quickBackoff))
            let run = Task { try await controller.run() }
            defer { run.cancel() }
            try await eventually("initial reconciles") { count(context, "owner") >= 1 && count(context, "bystander") >= 1 }
            let ownerRuns = count(context, "owner")
            let bystanderRuns = count(context, "bystander")
            _ = try await cluster.client.create(lease("owned", ownerNode: owner))
            try await eventually("the owner is reconciled") { count(context, "owner") > ownerRuns }
            try await cluster.client.delete(Lease.self, name: "owned", namespace: "default")
            try await eventually("deleting the owned object reconciles the owner again") { count(context, "owner") > ownerRuns + 1 }
            #expect(count(context, "bystander") == bystanderRuns)
        }
    }

    @Test(arguments: TestServerKind.available)
    func mappedKindsTriggerTheKeysTheMapperNames(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            try await cluster.createNode("target")
            let context = Context()
            var (controller, _) = nodeController(cluster, context: context)
            controller.watches(Watcher<Lease>(source: .client(cluster.client, namespace: "default"), backoff: quickBackoff)) { (lease: Lease) in
                lease.metadata.labels?["node"].map { [ObjectKey(name: $0)] } ?? []
            }
            let run = Task { try await controller.run() }
            defer { run.cancel() }
            try await eventually("initial reconcile") { count(context, "target") >= 1 }
            let runs = count(context, "target")
            _ = try await cluster.client.create(lease("pointer", labels: ["node": "target"]))
            try await eventually("the mapped node is reconciled") { count(context, "target") > runs }
        }
    }

    @Test(arguments: TestServerKind.available)
    func theErrorPolicyDecidesRetriesAndSuccessResetsTheBackoff(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            try await cluster.createNode("flaky")
            struct Flaky: Error {}
            let context = Context()
            let policyCalls = Recorder<String>()
            let (controller, _) = nodeController(
                cluster, context: context,
                reconcile: { node, context in
                    context.reconciled.append(node.metadata.name ?? "")
                    if context.reconciled.count < 3 { throw Flaky() }
                    return .done
                },
                errorPolicy: { error, node, _ in
                    policyCalls.append("\(type(of: error)):\(node.metadata.name ?? "")")
                    return .requeueWithBackoff
                })
            let run = Task { try await controller.run() }
            defer { run.cancel() }
            try await eventually("it succeeded on the third attempt") { count(context, "flaky") >= 3 }
            #expect(policyCalls.all == ["Flaky:flaky", "Flaky:flaky"])
        }
    }

    @Test(arguments: TestServerKind.available)
    func requeueAfterReconcilesAgainWithoutAnyChange(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            try await cluster.createNode("periodic")
            let context = Context()
            let (controller, _) = nodeController(cluster, context: context, reconcile: { node, context in
                context.reconciled.append(node.metadata.name ?? "")
                return .requeue(after: .milliseconds(20))
            })
            let run = Task { try await controller.run() }
            defer { run.cancel() }
            try await eventually("reconciled repeatedly") { count(context, "periodic") >= 3 }
        }
    }

    @Test(arguments: TestServerKind.available)
    func gracefulShutdownLetsTheRunningReconcileFinish(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            try await cluster.createNode("slow")
            let started = Recorder<String>()
            let finished = Recorder<String>()
            let (controller, _) = nodeController(cluster, reconcile: { node, _ in
                started.append(node.metadata.name ?? "")
                try await Task.sleep(for: .milliseconds(300))
                finished.append(node.metadata.name ?? "")
                return .done
            })
            let group = ServiceGroup(services: [controller], gracefulShutdownSignals: [], cancellationSignals: [], logger: Logger(label: "test"))
            let run = Task { try await group.run() }
            try await eventually("the reconcile started") { started.count == 1 }
            await group.triggerGracefulShutdown()
            try await run.value
            #expect(finished.all == ["slow"], "the in-flight reconcile was not cancelled")
        }
    }

    @Test(arguments: TestServerKind.available)
    func reconcilesOnlyWhileLeading(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            try await cluster.createNode("a")
            // Somebody else holds the lease.
            let now = Date()
            _ = try await cluster.client.create(Lease(
                metadata: ObjectMeta(name: "kwasm-operator", namespace: "default"),
                spec: Lease.Spec(holderIdentity: "other", leaseDurationSeconds: 60, acquireTime: MicroTime(now), renewTime: MicroTime(now), leaseTransitions: 0)))
            let elector = LeaderElector(client: cluster.client, configuration: LeaderElectionConfiguration(
                leaseName: "kwasm-operator", namespace: "default", identity: "me",
                leaseDuration: .seconds(3), renewDeadline: .seconds(2), retryPeriod: .milliseconds(50)))
            let context = Context()
            let (controller, nodes) = nodeController(cluster, context: context, elector: elector)
            let runElector = Task { try await elector.run() }
            defer { runElector.cancel() }
            let run = Task { try await controller.run() }
            defer { run.cancel() }
            try await eventually("the cache is warm") { nodes.isSynced && cluster.requestCounts(resource: "leases")["get", default: 0] >= 3 }
            #expect(context.reconciled.count == 0, "a follower does not reconcile")

            // The other holder releases; we take over and reconcile everything cached.
            var lease = try await cluster.client.get(Lease.self, name: "kwasm-operator", namespace: "default")
            lease.spec?.holderIdentity = ""
            _ = try await cluster.client.replace(lease)
            try await eventually("the new leader reconciles") { elector.isLeader && count(context, "a") >= 1 }
        }
    }

    @Test(arguments: TestServerKind.available)
    func losingLeadershipCancelsRunningReconciles(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            try await cluster.createNode("a")
            let partitioned = Mutex(false)
            struct Partitioned: Error {}
            let real = LeaseAccess.client(cluster.client, name: "kwasm-operator", namespace: "default")
            let access = LeaseAccess(
                get: { if partitioned.withLock({ $0 }) { throw Partitioned() }; return try await real.get() },
                create: { if partitioned.withLock({ $0 }) { throw Partitioned() }; return try await real.create($0) },
                replace: { if partitioned.withLock({ $0 }) { throw Partitioned() }; return try await real.replace($0) })
            let elector = LeaderElector(access: access, configuration: LeaderElectionConfiguration(
                leaseName: "kwasm-operator", namespace: "default", identity: "me",
                leaseDuration: .seconds(3), renewDeadline: .seconds(2), retryPeriod: .milliseconds(50)))
            let log = Recorder<String>()
            let (controller, _) = nodeController(cluster, elector: elector, reconcile: { _, _ in
                log.append("started")
                do {
                    try await Task.sleep(for: .seconds(120))
                } catch {
                    log.append("cancelled")
                    throw error
                }
                return .done
            })
            let runElector = Task { try await elector.run() }
            defer { runElector.cancel() }
            let run = Task { try await controller.run() }
            defer { run.cancel() }
            try await eventually("a reconcile runs") { log.all == ["started"] }
            partitioned.withLock { $0 = true }
            try await eventually("the reconcile is cancelled") { log.all.contains("cancelled") }
            #expect(!elector.isLeader)
        }
    }

    @Test(arguments: TestServerKind.available)
    func twoReplicasInServiceGroupsHandOverOnGracefulShutdown(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            try await cluster.createNode("a")
            func replica(_ identity: String) -> (ServiceGroup, LeaderElector, Context) {
                let elector = LeaderElector(client: cluster.client, configuration: LeaderElectionConfiguration(
                    leaseName: "kwasm-operator", namespace: "default", identity: identity,
                    leaseDuration: .seconds(60), renewDeadline: .seconds(40), retryPeriod: .milliseconds(50)))
                let context = Context()
                let (controller, _) = nodeController(cluster, context: context, elector: elector)
                // Reverse-order shutdown: the controller drains first, then the elector releases.
                let group = ServiceGroup(services: [elector, controller], gracefulShutdownSignals: [], cancellationSignals: [], logger: Logger(label: identity))
                return (group, elector, context)
            }
            let (groupA, electorA, contextA) = replica("a")
            let runA = Task { try await groupA.run() }
            try await eventually("replica a leads and reconciles") { electorA.isLeader && count(contextA, "a") >= 1 }

            let (groupB, electorB, contextB) = replica("b")
            let runB = Task { try await groupB.run() }
            defer { runB.cancel() }
            try await eventually("replica b is standing by") { cluster.requestCounts(resource: "leases")["get", default: 0] >= 3 }
            #expect(contextB.reconciled.count == 0)

            await groupA.triggerGracefulShutdown()
            try await runA.value
            // Without the release b would wait a minute for the lease to expire.
            try await eventually("replica b takes over and reconciles") { electorB.isLeader && count(contextB, "a") >= 1 }
            await groupB.triggerGracefulShutdown()
            try await runB.value
        }
    }

    @Test(arguments: TestServerKind.available, [true, false])
    func gracefulShutdownFinishesRunningReconcilesBeforeReleasingTheLease(_ kind: TestServerKind, electorFirst: Bool) async throws {
        try await TestCluster.run(kind) { cluster in
            try await cluster.createNode("slow")
            let elector = LeaderElector(client: cluster.client, configuration: LeaderElectionConfiguration(
                leaseName: "kwasm-operator", namespace: "default", identity: "me",
                leaseDuration: .seconds(60), renewDeadline: .seconds(40), retryPeriod: .milliseconds(50)))
            let log = Recorder<String>()
            let client = cluster.client
            let (controller, _) = nodeController(cluster, elector: elector, reconcile: { _, _ in
                log.append("started")
                do {
                    try await Task.sleep(for: .milliseconds(300))
                } catch {
                    log.append("cancelled")
                    throw error
                }
                let holder = try await client.get(Lease.self, name: "kwasm-operator", namespace: "default").spec?.holderIdentity
                log.append("finished while \(holder ?? "nobody") holds the lease")
                return .done
            })
            let services: [any Service] = electorFirst ? [elector, controller] : [controller, elector]
            let group = ServiceGroup(services: services, gracefulShutdownSignals: [], cancellationSignals: [], logger: Logger(label: "test"))
            let run = Task { try await group.run() }
            try await eventually("the reconcile started") { log.count == 1 }
            await group.triggerGracefulShutdown()
            try await run.value
            #expect(log.all == ["started", "finished while me holds the lease"])
            let lease = try await cluster.client.get(Lease.self, name: "kwasm-operator", namespace: "default")
            #expect((lease.spec?.holderIdentity ?? "").isEmpty, "released after the reconcile finished")
        }
    }
}

extension ControllerIntegrationTests {
    /// A service that takes a moment to stop, like an event recorder flushing on shutdown.
    struct SlowToStop: Service {
        func run() async throws {
            try? await gracefulShutdown()
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The operator's layout: the elector is listed after the controller, with other services
    /// between them, so the ServiceGroup stops the elector (which releases the lease) well before
    /// its graceful shutdown reaches the controller. The controller must keep running until then:
    /// returning early counts as "finished unexpectedly" and fails the whole shutdown.
    @Test(arguments: TestServerKind.available)
    func aControllerOutlivesItsElectorUntilItsOwnGracefulShutdown(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            try await cluster.createNode("a")
            let elector = LeaderElector(client: cluster.client, configuration: LeaderElectionConfiguration(
                leaseName: "kwasm-operator", namespace: "default", identity: "me",
                leaseDuration: .seconds(60), renewDeadline: .seconds(40), retryPeriod: .milliseconds(50)))
            let context = Context()
            let (controller, _) = nodeController(cluster, context: context, elector: elector)
            let group = ServiceGroup(
                services: [controller, SlowToStop(), elector], gracefulShutdownSignals: [], cancellationSignals: [],
                logger: Logger(label: "test"))
            let run = Task { try await group.run() }
            try await eventually("leading and reconciling") { elector.isLeader && count(context, "a") >= 1 }
            await group.triggerGracefulShutdown()
            try await run.value
            let lease = try await cluster.client.get(Lease.self, name: "kwasm-operator", namespace: "default")
            #expect((lease.spec?.holderIdentity ?? "").isEmpty, "the lease was released")
        }
    }
}
