import Testing
@testable import KubernetesRuntime

@Suite struct StoreTests {
    @Test func aRelistReplacesEverythingSoObjectsDeletedMeanwhileVanish() {
        let store = Store<TestObject>()
        store.apply(.restarted([TestObject("a"), TestObject("b"), TestObject("c")]))
        store.apply(.deleted(TestObject("b")))
        store.apply(.applied(TestObject("d")))
        #expect(store.keys.map(\.description) == ["default/a", "default/c", "default/d"])
        // After a disconnect the relist no longer contains "a" and "d": they must go.
        store.apply(.restarted([TestObject("c", value: "new"), TestObject("e")]))
        #expect(store.keys.map(\.description) == ["default/c", "default/e"])
        #expect(store.get(name: "c", namespace: "default")?.data == ["value": "new"])
        #expect(store.get(name: "a", namespace: "default") == nil)
    }

    @Test func listsAreSnapshotsOrderedByKeyAndFilterable() {
        let store = Store<TestObject>()
        store.apply(.restarted([TestObject("b", namespace: "x"), TestObject("a", namespace: "y"), TestObject("c", namespace: "x", value: "v")]))
        #expect(store.list().map { ObjectKey($0).description } == ["x/b", "x/c", "y/a"])
        #expect(store.list(matching: { $0.data != nil }).map { $0.metadata.name } == ["c"])
    }

    @Test func reduceAggregatesEveryCachedObjectWithoutASnapshot() {
        let store = Store<TestObject>()
        store.apply(.restarted([TestObject("a", value: "x"), TestObject("b", value: "y"), TestObject("c", value: "x")]))
        store.apply(.deleted(TestObject("b")))
        let counts = store.reduce(into: [String: Int]()) { counts, object in
            counts[object.data?["value"] ?? "", default: 0] += 1
        }
        #expect(counts == ["x": 2])
    }

    @Test func waitUntilSyncedReturnsOnceTheFirstListArrives() async {
        let store = Store<TestObject>()
        #expect(!store.isSynced)
        store.apply(.applied(TestObject("early")))
        #expect(!store.isSynced)
        async let waited: Void = store.waitUntilSynced()
        store.apply(.restarted([TestObject("a")]))
        await waited
        #expect(store.isSynced)
        await store.waitUntilSynced()
        #expect(store.count == 1)
    }

    @Test func cancellingAWaitForSyncEndsIt() async {
        let store = Store<TestObject>()
        let waiter = Task { await store.waitUntilSynced() }
        waiter.cancel()
        await waiter.value
        #expect(!store.isSynced)
    }

    @Test func readsFromManyTasksWhileWriting() async {
        let store = Store<TestObject>()
        store.apply(.restarted([]))
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask { store.apply(.applied(TestObject("o\(index)"))) }
                group.addTask { _ = store.list() }
            }
        }
        #expect(store.count == 200)
    }
}
