import FakeKubernetesAPI
import KubernetesEnvtest
import KubernetesClient
import Synchronization
import Testing
@testable import KubernetesRuntime

/// Two electors competing for one Lease on the fake and the real API server (hanging and conflicting
/// writes are injected faults: fake only).
@Suite struct LeaderElectorIntegrationTests {
    func configuration(_ identity: String, leaseDuration: Duration, renewDeadline: Duration) -> LeaderElectionConfiguration {
        LeaderElectionConfiguration(
            leaseName: "kwasm-operator", namespace: "default", identity: identity,
            leaseDuration: leaseDuration, renewDeadline: renewDeadline, retryPeriod: .milliseconds(100))
    }

    func lease(_ cluster: TestCluster) async throws -> Lease? {
        try await cluster.client.getIfExists(Lease.self, name: "kwasm-operator", namespace: "default")
    }

    /// Runs an elector and records its leadership changes as "identity:true/false".
    /// The log is written by its own task, after `isLeader` changes: wait for the log entry
    /// itself before asserting on the log.
    func start(_ elector: LeaderElector, log: Recorder<String>) -> Task<Void, any Error> {
        let changes = elector.leadershipChanges()
        let identity = elector.configuration.identity
        Task { for await leading in changes.dropFirst() { log.append("\(identity):\(leading)") } }
        return Task { try await elector.run() }
    }

    @Test(arguments: TestServerKind.available)
    func aReleasingLeaderHandsOverWithoutWaitingForExpiry(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            // Expiry would take a minute: a handover within the test timeout proves the release.
            let a = LeaderElector(client: cluster.client, configuration: configuration("a", leaseDuration: .seconds(60), renewDeadline: .seconds(40)))
            let b = LeaderElector(client: cluster.client, configuration: configuration("b", leaseDuration: .seconds(60), renewDeadline: .seconds(40)))
            let log = Recorder<String>()
            let runA = start(a, log: log)
            try await eventually("a leads") { a.isLeader }
            let runB = start(b, log: log)
            defer { runB.cancel() }
            try await eventually("b has looked at the lease") { try await lease(cluster)?.spec?.holderIdentity == "a" && !b.isLeader }
            #expect(!b.isLeader)

            a.requestShutdown()
            try await runA.value
            #expect(!a.isLeader)
            try await eventually("b takes over") { b.isLeader && log.all.contains("b:true") }
            let held = try await lease(cluster)
            #expect(held?.spec?.holderIdentity == "b")
            #expect(held?.spec?.leaseTransitions == 1, "created by a (0), taken over by b (1)")
            #expect(log.all == ["a:true", "a:false", "b:true"])
        }
    }

    @Test(arguments: TestServerKind.available)
    func aLeaderThatCannotRenewStepsDownBeforeTheOtherTakesOverAfterExpiry(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            let partitioned = Mutex(false)
            let real = LeaseAccess.client(cluster.client, name: "kwasm-operator", namespace: "default")
            struct Partitioned: Error {}
            let cutOff = LeaseAccess(
                get: { if partitioned.withLock({ $0 }) { throw Partitioned() }; return try await real.get() },
                create: { if partitioned.withLock({ $0 }) { throw Partitioned() }; return try await real.create($0) },
                replace: { if partitioned.withLock({ $0 }) { throw Partitioned() }; return try await real.replace($0) })
            let a = LeaderElector(access: cutOff, configuration: configuration("a", leaseDuration: .seconds(3), renewDeadline: .seconds(2)))
            let b = LeaderElector(client: cluster.client, configuration: configuration("b", leaseDuration: .seconds(3), renewDeadline: .seconds(2)))
            let log = Recorder<String>()
            let runA = start(a, log: log)
            defer { runA.cancel() }
            try await eventually("a leads") { a.isLeader }
            let runB = start(b, log: log)
            defer { runB.cancel() }
            try await eventually("b follows") { try await lease(cluster)?.spec?.holderIdentity == "a" }

            partitioned.withLock { $0 = true }
            try await eventually("b takes over") { b.isLeader && log.all.contains("b:true") }
            #expect(!a.isLeader)
            #expect(log.all == ["a:true", "a:false", "b:true"], "a stopped leading before b started")
            let held = try await lease(cluster)
            #expect(held?.spec?.holderIdentity == "b")
            #expect(held?.spec?.leaseTransitions == 1)
        }
    }

    @Test func aRenewalThatHangsIsAbandonedAtTheRenewDeadline() async throws {
        try await TestCluster.run(.fake) { cluster in
            let a = LeaderElector(client: cluster.client, configuration: configuration("a", leaseDuration: .seconds(3), renewDeadline: .seconds(1)))
            let log = Recorder<String>()
            let runA = start(a, log: log)
            defer { runA.cancel() }
            try await eventually("a leads") { a.isLeader }
            // The API server stops answering lease writes (the client's own timeout is 10 s).
            cluster.api.failNextRequests(10_000, with: .hang, verb: "update", resource: "leases")
            try await eventually("a gives up leadership", timeout: .seconds(8)) { !a.isLeader && log.all.contains("a:false") }
            #expect(log.all == ["a:true", "a:false"])
            cluster.api.clearFaults()
            try await eventually("a leads again once the server answers") { a.isLeader }
        }
    }

    @Test func conflictingWritesAreResolvedByRereading() async throws {
        try await TestCluster.run(.fake) { cluster in
            let a = LeaderElector(client: cluster.client, configuration: configuration("a", leaseDuration: .seconds(3), renewDeadline: .seconds(2)))
            let runA = Task { try await a.run() }
            defer { runA.cancel() }
            try await eventually("a leads") { a.isLeader }
            // Someone else bumps the lease's resourceVersion: a's next renewal gets 409, re-reads, renews.
            cluster.api.injectConflict(.leases, namespace: "default", name: "kwasm-operator", count: 2)
            let before = try await lease(cluster)?.spec?.renewTime
            try await eventually("a renewed after the conflicts") { try await lease(cluster)?.spec?.renewTime != before && cluster.requestCounts(resource: "leases")["get", default: 0] >= 3 }
            #expect(a.isLeader)
            a.requestShutdown()
            try await runA.value
        }
    }
}
