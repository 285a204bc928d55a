import Testing
@testable import KubernetesRuntime

/// Indexes live inside the store: every watch event refiles the object in the same step.
@Suite struct StoreIndexTests {
    static let byValue = StoreIndexer<TestObject>("value") { $0.data?["value"].map { [$0] } ?? [] }

    @Test func objectsAreRefiledWhenTheyChangeAndDroppedWhenDeleted() {
        let writer = StoreWriter<TestObject>(indexers: [Self.byValue]), store = writer.store
        writer.apply(.restarted([TestObject("a", value: "x"), TestObject("b", value: "y"), TestObject("c")]))
        #expect(store.byIndex("value", value: "x").map(\.metadata.name) == ["a"])
        writer.apply(.applied(TestObject("b", value: "x")))
        #expect(store.byIndex("value", value: "x").map(\.metadata.name) == ["a", "b"])
        #expect(store.byIndex("value", value: "y").isEmpty)
        writer.apply(.deleted(TestObject("a", value: "x")))
        #expect(store.byIndex("value", value: "x").map(\.metadata.name) == ["b"])
        #expect(store.count("value", value: "x") == 1)
        // Objects without a value are not filed at all.
        #expect(store.indexedValues("value") == ["x"])
    }

    @Test func aRelistRebuildsTheIndex() {
        let writer = StoreWriter<TestObject>(indexers: [Self.byValue]), store = writer.store
        writer.apply(.restarted([TestObject("a", value: "x")]))
        writer.apply(.restarted([TestObject("b", value: "x")]))
        #expect(store.byIndex("value", value: "x").map(\.metadata.name) == ["b"])
    }

    @Test func ourWritesAreFiledBeforeTheWatchShowsThem() {
        let writer = StoreWriter<TestObject>(indexers: [Self.byValue]), store = writer.store
        writer.apply(.restarted([TestObject("a", value: "x", resourceVersion: "1")]))
        store.wrote(TestObject("new", value: "x", resourceVersion: "2"))
        #expect(store.byIndex("value", value: "x").map(\.metadata.name) == ["a", "new"])
        store.deleted(ObjectKey(namespace: "default", name: "a"), uid: nil)
        #expect(store.byIndex("value", value: "x").map(\.metadata.name) == ["new"])
        #expect(store.list().map(\.metadata.name) == ["new"])
        #expect(store.indexedValues("value") == ["x"])
        // The cache alone: our writes are not counted.
        #expect(store.count("value", value: "x") == 1)
    }
}
