import KubernetesClient
import KubernetesRuntime
import Testing
@testable import WasmOperator

/// Read-your-writes must hold a write until the cache shows it, and then let go of it: in a
/// large rollout every reconcile reads the pending writes.
@Suite struct RecentWritesTests {
    func status(_ name: String, uid: String = "uid-1", version: String) -> WasmNodeStatus {
        WasmNodeStatus(metadata: ObjectMeta(name: name, uid: uid, resourceVersion: version), spec: .init(nodeName: name))
    }

    @Test func aWriteIsForgottenOnceTheWatchDeliversIt() {
        let recent = RecentWrites<WasmNodeStatus>()
        recent.wrote(status("node-a", version: "12"))
        // An older event of the same object does not show our write yet.
        recent.observed(.applied(status("node-a", version: "11")))
        #expect(recent.pending { _ in true }.map(\.metadata.resourceVersion) == ["12"])
        #expect(recent.resolve(name: "node-a", cached: status("node-a", version: "11"))?.metadata.resourceVersion == "12")
        recent.observed(.applied(status("node-a", version: "12")))
        #expect(recent.pending { _ in true }.isEmpty)
    }

    @Test func aDeletedObjectIsForgottenOnceTheWatchSaysItIsGone() {
        let recent = RecentWrites<WasmNodeStatus>()
        recent.deleted(name: "node-a", uid: "uid-1")
        #expect(recent.resolve(name: "node-a", cached: status("node-a", version: "5")) == nil)
        recent.observed(.deleted(status("node-a", version: "6")))
        // From now on the cache decides: a new incarnation shows up as it is.
        #expect(recent.resolve(name: "node-a", cached: status("node-a", uid: "uid-2", version: "9"))?.metadata.uid == "uid-2")
    }

    @Test func anotherIncarnationsEventDoesNotClearOurWrite() {
        let recent = RecentWrites<WasmNodeStatus>()
        recent.wrote(status("node-a", uid: "uid-2", version: "20"))
        recent.observed(.deleted(status("node-a", uid: "uid-1", version: "19")))
        #expect(recent.pending { _ in true }.map(\.metadata.uid) == ["uid-2"])
    }
}
