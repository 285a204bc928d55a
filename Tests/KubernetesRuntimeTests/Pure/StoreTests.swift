import Testing
@testable import KubernetesRuntime

@Suite struct StoreTests {
    @Test func aRelistReplacesEverythingSoObjectsDeletedMeanwhileVanish() {
        let writer = StoreWriter<TestObject>(), store = writer.store
        writer.apply(.restarted([TestObject("a"), TestObject("b"), TestObject("c")]))
        writer.apply(.deleted(TestObject("b")))
        writer.apply(.applied(TestObject("d")))
        #expect(store.keys.map(\.description) == ["default/a", "default/c", "default/d"])
        // After a disconnect the relist no longer contains "a" and "d": they must go.
        writer.apply(.restarted([TestObject("c", value: "new"), TestObject("e")]))
        #expect(store.keys.map(\.description) == ["default/c", "default/e"])
        #expect(store.get(name: "c", namespace: "default")?.data == ["value": "new"])
        #expect(store.get(name: "a", namespace: "default") == nil)
    }

    @Test func listsAreSnapshotsOrderedByKeyAndFilterable() {
        let writer = StoreWriter<TestObject>(), store = writer.store
        writer.apply(.restarted([TestObject("b", namespace: "x"), TestObject("a", namespace: "y"), TestObject("c", namespace: "x", value: "v")]))
        #expect(store.list().map { ObjectKey($0).description } == ["x/b", "x/c", "y/a"])
        #expect(store.list(matching: { $0.data != nil }).map { $0.metadata.name } == ["c"])
    }

    @Test func reduceAggregatesEveryCachedObjectWithoutASnapshot() {
        let writer = StoreWriter<TestObject>(), store = writer.store
        writer.apply(.restarted([TestObject("a", value: "x"), TestObject("b", value: "y"), TestObject("c", value: "x")]))
        writer.apply(.deleted(TestObject("b")))
        let counts = store.reduce(into: [String: Int]()) { counts, object in
            counts[object.data?["value"] ?? "", default: 0] += 1
        }
        #expect(counts == ["x": 2])
    }

    @Test func waitUntilSyncedReturnsOnceTheFirstListArrives() async {
        let writer = StoreWriter<TestObject>(), store = writer.store
        #expect(!store.isSynced)
        writer.apply(.applied(TestObject("early")))
        #expect(!store.isSynced)
        async let waited: Void = store.waitUntilSynced()
        writer.apply(.restarted([TestObject("a")]))
        await waited
        #expect(store.isSynced)
        await store.waitUntilSynced()
        #expect(store.count == 1)
    }

    @Test func cancellingAWaitForSyncEndsIt() async {
        let writer = StoreWriter<TestObject>(), store = writer.store
        let waiter = Task { await store.waitUntilSynced() }
        waiter.cancel()
        await waiter.value
        #expect(!store.isSynced)
    }

    @Test func readsFromManyTasksWhileWriting() async {
        let writer = StoreWriter<TestObject>(), store = writer.store
        writer.apply(.restarted([]))
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask { writer.apply(.applied(TestObject("o\(index)"))) }
                group.addTask { _ = store.list() }
            }
        }
        #expect(store.count == 200)
    }
}
