import KubernetesClient
import Testing
@testable import KubernetesRuntime

/// Read-your-writes must hold a write until the cache shows it, and then let go of it: in a
/// large rollout every reconcile reads the pending writes.
@Suite struct StoreReadYourWritesTests {
    func object(_ name: String, uid: String = "uid-1", version: String) -> TestObject {
        var object = TestObject(name, resourceVersion: version)
        object.metadata.uid = uid
        return object
    }

    let key = ObjectKey(namespace: "default", name: "a")

    @Test func aWriteIsForgottenOnceTheWatchDeliversIt() {
        let writer = StoreWriter<TestObject>(), store = writer.store
        writer.apply(.restarted([object("a", version: "10")]))
        store.wrote(object("a", version: "12"))
        // An older event of the same object does not show our write yet.
        writer.apply(.applied(object("a", version: "11")))
        #expect(store.get(key)?.metadata.resourceVersion == "12")
        #expect(store.state.withLock { $0.ownWrites.entries.count } == 1)
        writer.apply(.applied(object("a", version: "12")))
        #expect(store.state.withLock { $0.ownWrites.isEmpty })
        #expect(store.get(key)?.metadata.resourceVersion == "12")
    }

    @Test func aDeletedObjectIsForgottenOnceTheWatchSaysItIsGone() {
        let writer = StoreWriter<TestObject>(), store = writer.store
        writer.apply(.restarted([object("a", version: "5")]))
        store.deleted(key, uid: "uid-1")
        #expect(store.get(key) == nil)
        writer.apply(.deleted(object("a", version: "6")))
        // From now on the cache decides: a new incarnation shows up as it is.
        writer.apply(.applied(object("a", uid: "uid-2", version: "9")))
        #expect(store.get(key)?.metadata.uid == "uid-2")
    }

    @Test func anotherIncarnationsEventDoesNotClearOurWrite() {
        let writer = StoreWriter<TestObject>(), store = writer.store
        writer.apply(.restarted([]))
        store.wrote(object("a", uid: "uid-2", version: "20"))
        writer.apply(.deleted(object("a", uid: "uid-1", version: "19")))
        #expect(store.list().map(\.metadata.uid) == ["uid-2"])
    }
}
