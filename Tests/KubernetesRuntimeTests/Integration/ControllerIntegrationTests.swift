import FakeKubernetesAPI
import Foundation
import KubernetesClient
import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import KubernetesRuntime

/// Controllers over Nodes on the fake API server.
@Suite struct ControllerIntegrationTests {
    struct Context: Sendable {
        let reconciled = Recorder<String>()
    }

    func count(_ context: Context, _ name: String) -> Int {
        context.reconciled.all.filter { $0 == name }.count
    }

    func nodeController(
        _ cluster: FakeCluster, context: Context = Context(), elector: LeaderElector? = nil,
        reconcile: @escaping Controller<Node, Context>.Reconcile = { node, context in
            context.reconciled.append(node.metadata.name ?? "")
            return .done
        },
        errorPolicy: @escaping ErrorPolicy<Node, Context> = { _, _, _ in .requeueWithBackoff }
    ) -> (Controller<Node, Context>, Store<Node>) {
        let nodes = Store<Node>()
        var controller = Controller(store: nodes, context: context, elector: elector, reconcile: reconcile, errorPolicy: errorPolicy)
        controller.watches(Watcher<Node>(source: .client(cluster.client), backoff: quickBackoff).reflect(into: nodes))
        return (controller, nodes)
    }

    func leaseJSON(_ name: String, labels: [String: String] = [:], ownerNode: Node? = nil) -> FakeJSON {
        var metadata: FakeJSON = ["name": .string(name), "namespace": "default"]
        if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues { .string($0) }) }
        if let ownerNode {
            metadata["ownerReferences"] = [[
                "apiVersion": "v1", "kind": "Node", "name": .string(ownerNode.metadata.name ?? ""),
                "uid": .string(ownerNode.metadata.uid ?? ""),
            ]]
        }
        return ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata, "spec": [:]]
    }

    @Test func reconcilesEveryObjectAndEachChange() async throws {
        try await FakeCluster.run { cluster in
            try cluster.createNode("a")
            try cluster.createNode("b")
            let context = Context()
            let (controller, _) = nodeController(cluster, context: context)
            let run = Task { try await controller.run() }
            defer { run.cancel() }
            try await eventually("both nodes reconciled") { count(context, "a") >= 1 && count(context, "b") >= 1 }
            let before = count(context, "a")
            try cluster.labelNode("a", "kwasm.sh/kwasm-node", "true")
            try await eventually("the change is reconciled") { count(context, "a") > before }
        }
    }

    @Test func ownedObjectsTriggerTheirOwner() async throws {
        try await FakeCluster.run { cluster in
            let owner = try await cluster.client.create(Node(metadata: ObjectMeta(name: "owner")))
            try cluster.createNode("bystander")
            let context = Context()
            var (controller, _) = nodeController(cluster, context: context)
            controller.owns(Watcher<Lease>(source: .client(cluster.client, namespace: "default"), backoff: quickBackoff))
            let run = Task { try await controller.run() }
            defer { run.cancel() }
            try await eventually("initial reconciles") { count(context, "owner") >= 1 && count(context, "bystander") >= 1 }
            let ownerRuns = count(context, "owner")
            let bystanderRuns = count(context, "bystander")
            try cluster.api.create(leaseJSON("owned", ownerNode: owner))
            try await eventually("the owner is reconciled") { count(context, "owner") > ownerRuns }
            try cluster.api.delete(.leases, namespace: "default", name: "owned")
            try await eventually("deleting the owned object reconciles the owner again") { count(context, "owner") > ownerRuns + 1 }
            #expect(count(context, "bystander") == bystanderRuns)
        }
    }

    @Test func mappedKindsTriggerTheKeysTheMapperNames() async throws {
        try await FakeCluster.run { cluster in
            try cluster.createNode("target")
            let context = Context()
            var (controller, _) = nodeController(cluster, context: context)
            controller.watches(Watcher<Lease>(source: .client(cluster.client, namespace: "default"), backoff: quickBackoff)) { (lease: Lease) in
                lease.metadata.labels?["node"].map { [ObjectKey(name: $0)] } ?? []
            }
            let run = Task { try await controller.run() }
            defer { run.cancel() }
            try await eventually("initial reconcile") { count(context, "target") >= 1 }
            let runs = count(context, "target")
            try cluster.api.create(leaseJSON("pointer", labels: ["node": "target"]))
            try await eventually("the mapped node is reconciled") { count(context, "target") > runs }
        }
    }

    @Test func theErrorPolicyDecidesRetriesAndSuccessResetsTheBackoff() async throws {
        try await FakeCluster.run { cluster in
            try cluster.createNode("flaky")
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

    @Test func requeueAfterReconcilesAgainWithoutAnyChange() async throws {
        try await FakeCluster.run { cluster in
            try cluster.createNode("periodic")
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

    @Test func gracefulShutdownLetsTheRunningReconcileFinish() async throws {
        try await FakeCluster.run { cluster in
            try cluster.createNode("slow")
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

    @Test func reconcilesOnlyWhileLeading() async throws {
        try await FakeCluster.run { cluster in
            try cluster.createNode("a")
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
            try await eventually("the cache is warm") { nodes.isSynced && cluster.api.requestCounts(resource: "leases")["get", default: 0] >= 3 }
            #expect(context.reconciled.count == 0, "a follower does not reconcile")

            // The other holder releases; we take over and reconcile everything cached.
            var lease = try await cluster.client.get(Lease.self, name: "kwasm-operator", namespace: "default")
            lease.spec?.holderIdentity = ""
            _ = try await cluster.client.replace(lease)
            try await eventually("the new leader reconciles") { elector.isLeader && count(context, "a") >= 1 }
        }
    }

    @Test func losingLeadershipCancelsRunningReconciles() async throws {
        try await FakeCluster.run { cluster in
            try cluster.createNode("a")
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

    @Test func twoReplicasInServiceGroupsHandOverOnGracefulShutdown() async throws {
        try await FakeCluster.run { cluster in
            try cluster.createNode("a")
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
            try await eventually("replica b is standing by") { cluster.api.requestCounts(resource: "leases")["get", default: 0] >= 3 }
            #expect(contextB.reconciled.count == 0)

            await groupA.triggerGracefulShutdown()
            try await runA.value
            // Without the release b would wait a minute for the lease to expire.
            try await eventually("replica b takes over and reconciles") { electorB.isLeader && count(contextB, "a") >= 1 }
            await groupB.triggerGracefulShutdown()
            try await runB.value
        }
    }

    @Test(arguments: [true, false])
    func gracefulShutdownFinishesRunningReconcilesBeforeReleasingTheLease(electorFirst: Bool) async throws {
        try await FakeCluster.run { cluster in
            try cluster.createNode("slow")
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
    @Test func aControllerOutlivesItsElectorUntilItsOwnGracefulShutdown() async throws {
        try await FakeCluster.run { cluster in
            try cluster.createNode("a")
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
