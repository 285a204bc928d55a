import FakeKubernetesAPI
import KubernetesEnvtest
import KubernetesClient
import Testing
@testable import KubernetesRuntime

/// The watcher and store against an API server over HTTP. Fault injection (dropped and failing watches,
/// expired resource versions) needs the fake; what needs none runs against the real kube-apiserver too.
@Suite struct WatcherIntegrationTests {
    func names(_ store: Store<Node>) -> [String] {
        store.list().compactMap(\.metadata.name)
    }

    func labels(_ store: Store<Node>, _ name: String) -> [String: String] {
        store.get(name: name)?.metadata.labels ?? [:]
    }

    func deletedNames(_ events: Recorder<WatcherEvent<Node>>) -> [String] {
        events.all.compactMap { if case .deleted(let node) = $0 { return node.metadata.name } else { return nil } }
    }

    func restartedNames(_ events: Recorder<WatcherEvent<Node>>) -> [[String]] {
        events.all.compactMap { if case .restarted(let nodes) = $0 { return nodes.compactMap(\.metadata.name) } else { return nil } }
    }

    // The store is updated before the event reaches the consuming task's recorder: wait for the
    // recorded event too before asserting on the recorded events.

    @Test func resumesAfterADroppedWatchWithoutLosingEventsOrRelisting() async throws {
        try await TestCluster.run(.fake) { cluster in
            try await cluster.createNode("a")
            try await cluster.createNode("b")
            let writer = StoreWriter<Node>(), store = writer.store
            let events = Recorder<WatcherEvent<Node>>()
            let watcher = Watcher<Node>(source: .client(cluster.client), backoff: quickBackoff).reflect(into: writer)
            let task = Task { for await event in watcher { events.append(event) } }
            defer { task.cancel() }

            try await eventually("the store is synced") { store.isSynced }
            #expect(names(store) == ["a", "b"])
            try await eventually("the watch is open") { cluster.api.requestCounts(resource: "nodes")["watch", default: 0] >= 1 }

            // Cut the connection, then change things before the watcher can reconnect.
            cluster.api.failNextRequests(1, with: .internalError, verb: "watch")
            cluster.api.dropAllWatches()
            try await cluster.createNode("c")
            try await cluster.labelNode("a", "seen", "yes")
            try await cluster.deleteNode("b")

            try await eventually("the store and the recorded events have every change") {
                names(store) == ["a", "c"] && labels(store, "a")["seen"] == "yes" && !deletedNames(events).isEmpty
            }
            #expect(restartedNames(events).count == 1, "resumed from the last resourceVersion instead of relisting")
            #expect(cluster.api.requestCounts(resource: "nodes")["list"] == 1)
            #expect(deletedNames(events) == ["b"], "the delete that happened while disconnected arrived as an event")
        }
    }

    @Test func relistsAfterGoneAndTheStoreDropsObjectsDeletedWhileDisconnected() async throws {
        try await TestCluster.run(.fake) { cluster in
            for name in ["a", "b", "c"] { try await cluster.createNode(name) }
            let writer = StoreWriter<Node>(), store = writer.store
            let events = Recorder<WatcherEvent<Node>>()
            let watcher = Watcher<Node>(source: .client(cluster.client), backoff: quickBackoff).reflect(into: writer)
            let task = Task { for await event in watcher { events.append(event) } }
            defer { task.cancel() }
            try await eventually("the store is synced") { store.isSynced }
            try await eventually("the watch is open") { cluster.api.requestCounts(resource: "nodes")["watch", default: 0] >= 1 }

            // Keep the watcher disconnected while history is changed and compacted away.
            cluster.api.failNextRequests(10_000, with: .internalError, verb: "watch")
            cluster.api.dropAllWatches()
            try await cluster.deleteNode("b")
            try await cluster.createNode("d")
            try await cluster.labelNode("a", "changed", "true")
            cluster.api.expireResourceVersions()
            cluster.api.clearFaults()

            try await eventually("the store matches the server and the relist was recorded") {
                try await cluster.nodeNames() == names(store) && labels(store, "a")["changed"] == "true" && restartedNames(events).count >= 2
            }
            #expect(names(store) == ["a", "c", "d"])
            let restarts = restartedNames(events)
            #expect(restarts.count == 2)
            #expect(restarts.last == ["a", "c", "d"])

            // And it keeps watching after the relist.
            try await cluster.createNode("e")
            try await eventually("the new node arrives") { names(store).contains("e") }
        }
    }

    @Test func aServerSideWatchTimeoutResumesWithoutRelisting() async throws {
        try await TestCluster.run(.fake) { cluster in
            try await cluster.createNode("a")
            let writer = StoreWriter<Node>(), store = writer.store
            let task = Task { for await _ in Watcher<Node>(source: .client(cluster.client), backoff: quickBackoff).reflect(into: writer) {} }
            defer { task.cancel() }
            try await eventually("the store is synced") { store.isSynced }
            for round in 1...3 {
                try await eventually("watch \(round) is open") { cluster.api.requestCounts(resource: "nodes")["watch", default: 0] >= round }
                // Give the stream something (a bookmark or an event) before it ends, as a real server would.
                try await cluster.createNode("n\(round)")
                try await eventually("n\(round) arrived") { store.get(name: "n\(round)") != nil }
                cluster.api.endAllWatches()
            }
            try await cluster.createNode("last")
            try await eventually("the watcher is still current") { store.get(name: "last") != nil }
            #expect(cluster.api.requestCounts(resource: "nodes")["list"] == 1)
        }
    }

    @Test(arguments: TestServerKind.available)
    func paginatedInitialListAssemblesEveryPage(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            for index in 0..<25 { try await cluster.createNode("node-\(index)") }
            let writer = StoreWriter<Node>(), store = writer.store
            let source = ListWatchSource<Node>.client(cluster.client, pageSize: 4)
            let task = Task { for await _ in Watcher<Node>(source: source, backoff: quickBackoff).reflect(into: writer) {} }
            defer { task.cancel() }
            try await eventually("the store is synced") { store.isSynced }
            #expect(store.count == 25)
            #expect(cluster.requestCounts(resource: "nodes")["list"] == 7)
        }
    }

    @Test func listFailuresAreRetriedWithBackoff() async throws {
        try await TestCluster.run(.fake) { cluster in
            try await cluster.createNode("a")
            cluster.api.failNextRequests(3, with: .internalError, verb: "list")
            let writer = StoreWriter<Node>(), store = writer.store
            let task = Task { for await _ in Watcher<Node>(source: .client(cluster.client), backoff: quickBackoff).reflect(into: writer) {} }
            defer { task.cancel() }
            try await eventually("the store is synced") { store.isSynced }
            #expect(names(store) == ["a"])
            #expect(cluster.api.requestCounts(resource: "nodes")["list"] == 4)
        }
    }
}
