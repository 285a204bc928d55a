import KubernetesClient
import Testing
@testable import KubernetesRuntime

/// How watched objects turn into keys to reconcile, without a server.
@Suite struct ControllerTriggerTests {
    typealias NodeController = Controller<Node, Void>

    func lease(_ name: String, ownedBy owners: [String]) -> Lease {
        Lease(metadata: ObjectMeta(
            name: name, namespace: "kwasm",
            ownerReferences: owners.map { OwnerReference(apiVersion: "v1", kind: "Node", name: $0, uid: "uid-\($0)") }))
    }

    /// Feeds `events` through a trigger and returns the key batches it enqueued.
    func keys(for events: [WatcherEvent<Lease>], mapper: @escaping @Sendable (Lease) -> [ObjectKey]) async -> [[String]] {
        let (stream, continuation) = AsyncStream<WatcherEvent<Lease>>.makeStream()
        for event in events { continuation.yield(event) }
        continuation.finish()
        let batches = Recorder<[String]>()
        await NodeController.trigger(stream, mapper)({ keys in batches.append(keys.map(\.description)) })
        return batches.all
    }

    @Test func ownerReferencesOfTheControllersKindNameTheOwner() {
        var owned = lease("l", ownedBy: ["node-1"])
        owned.metadata.ownerReferences?.append(OwnerReference(apiVersion: "batch/v1", kind: "Job", name: "j", uid: "u"))
        // Nodes are cluster-scoped: the owner key has no namespace even though the Lease has one.
        #expect(NodeController.ownerKeys(of: owned) == [ObjectKey(name: "node-1")])
    }

    @Test func anOwnedObjectThatVanishesInARelistStillReconcilesItsOldOwner() async {
        let batches = await keys(for: [
            .restarted([lease("a", ownedBy: ["n1"]), lease("b", ownedBy: ["n2"])]),
            // After a disconnect "b" is gone: n2 must hear about it.
            .restarted([lease("a", ownedBy: ["n1"])]),
        ], mapper: NodeController.ownerKeys)
        #expect(batches.count == 2)
        #expect(Set(batches[0]) == ["n1", "n2"])
        #expect(Set(batches[1]) == ["n1", "n2"])
    }

    @Test func aChangedOwnerReconcilesTheOldAndTheNewOwner() async {
        let batches = await keys(for: [
            .restarted([]),
            .applied(lease("a", ownedBy: ["n1"])),
            .applied(lease("a", ownedBy: ["n2"])),
            .deleted(lease("a", ownedBy: ["n2"])),
        ], mapper: NodeController.ownerKeys)
        #expect(batches == [[], ["n1"], ["n1", "n2"], ["n2"]])
    }
}
