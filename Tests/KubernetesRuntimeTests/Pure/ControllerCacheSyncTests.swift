import KubernetesClient
import Testing
@testable import KubernetesRuntime

/// A controller starts reconciling only once its caches hold a complete list, and reports
/// every reconcile to its observer.
@Suite struct ControllerCacheSyncTests {
    struct Failure: Error {}

    final class Observed: ReconcileObserver {
        let reconciles = Recorder<String>()
        func reconciled(controller: String, duration: Duration, failed: Bool) {
            reconciles.append("\(controller) \(failed ? "failed" : "ok")")
        }
    }

    func node(_ name: String) -> Node { Node(metadata: ObjectMeta(name: name)) }

    @Test func noReconcileSeesACacheBeforeItsFirstList() async throws {
        let nodes = StoreWriter<Node>(), jobs = StoreWriter<Job>()
        let reconciled = Recorder<String>()
        var controller = Controller<Node, Void>(store: nodes.store, context: ()) { node, _ in
            reconciled.append("\(node.metadata.name ?? "") jobsSynced=\(jobs.store.isSynced)")
            return .done
        }
        controller.waitsForSync(of: [jobs.store])
        let run = Task { try await controller.run() }
        defer { run.cancel() }
        nodes.apply(.restarted([node("a")]))
        // Give a wrongly started controller the chance to reconcile "a" early.
        for _ in 0..<50 { await Task.yield() }
        jobs.apply(.restarted([]))
        try await eventually("a reconciled") { !reconciled.all.isEmpty }
        #expect(reconciled.all == ["a jobsSynced=true"])
    }

    @Test func everyReconcileIsCountedWithItsOutcome() async throws {
        let nodes = StoreWriter<Node>()
        let observed = Observed()
        let controller = Controller<Node, Void>(store: nodes.store, context: (), name: "nodes", observer: observed, reconcile: { node, _ in
            if node.metadata.name == "bad" { throw Failure() }
            return .done
        }, errorPolicy: { _, _, _ in .done })
        let run = Task { try await controller.run() }
        defer { run.cancel() }
        nodes.apply(.restarted([node("bad"), node("good")]))
        try await eventually("both reconciled") { observed.reconciles.all.count == 2 }
        #expect(observed.reconciles.all.sorted() == ["nodes failed", "nodes ok"])
    }
}
