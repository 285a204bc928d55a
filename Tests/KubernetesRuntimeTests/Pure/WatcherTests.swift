import KubernetesClient
import Synchronization
import Testing
@testable import KubernetesRuntime

/// The watcher owner against a scripted list/watch source.
@Suite struct WatcherTests {
    final class Script: Sendable {
        let lists: Mutex<[ObjectList<Node>]>
        let watches: Mutex<[[WatchEvent<Node>]?]>
        let requests = Recorder<String>()

        init(lists: [ObjectList<Node>], watches: [[WatchEvent<Node>]?]) {
            self.lists = Mutex(lists)
            self.watches = Mutex(watches)
        }

        var source: ListWatchSource<Node> {
            ListWatchSource(
                listPage: { token in
                    self.requests.append("list")
                    return self.lists.withLock { $0.removeFirst() }
                },
                watch: { version in
                    self.requests.append("watch \(version)")
                    let next = self.watches.withLock { $0.isEmpty ? [] : $0.removeFirst() }
                    return AsyncThrowingStream { continuation in
                        guard let events = next else {
                            continuation.finish(throwing: KubernetesError(httpCode: 410, status: nil))
                            return
                        }
                        for event in events { continuation.yield(event) }
                        // An empty script entry stays open until the test ends.
                        if !events.isEmpty { continuation.finish() }
                    }
                })
        }
    }

    func node(_ name: String, _ version: String) -> Node {
        Node(metadata: ObjectMeta(name: name, resourceVersion: version))
    }

    func list(_ names: [String], version: String) -> ObjectList<Node> {
        ObjectList(metadata: ListMeta(resourceVersion: version), items: names.map { node($0, version) })
    }

    func describe(_ event: WatcherEvent<Node>) -> String {
        switch event {
        case .restarted(let nodes): "restarted \(nodes.compactMap(\.metadata.name))"
        case .applied(let node): "applied \(node.metadata.name ?? "")"
        case .deleted(let node): "deleted \(node.metadata.name ?? "")"
        }
    }

    @Test func errorEventsAndGoneResponsesRelistWhileTimeoutsResume() async {
        let script = Script(
            lists: [list(["a"], version: "1"), list(["b"], version: "5"), list(["b", "c"], version: "9")],
            watches: [
                [.added(node("b", "2")), .error(Status(status: "Failure", reason: "Expired", code: 410))],
                nil,  // 410 when the watch starts
                [.bookmark(resourceVersion: "12")],  // then a clean end (server timeout)
                [.deleted(node("b", "13"))],
                [],
            ])
        let watcher = Watcher<Node>(source: script.source, backoff: { Backoff(initial: .milliseconds(1), maximum: .milliseconds(2)) })
        var seen: [String] = []
        for await event in watcher {
            seen.append(describe(event))
            if seen.count == 5 { break }
        }
        #expect(seen == ["restarted [\"a\"]", "applied b", "restarted [\"b\"]", "restarted [\"b\", \"c\"]", "deleted b"])
        #expect(script.requests.all == ["list", "watch 1", "list", "watch 5", "list", "watch 9", "watch 12"])
    }

    @Test func reflectingIntoSeveralStoresFeedsEachOnce() async {
        let script = Script(lists: [list(["a", "b"], version: "1")], watches: [[.deleted(node("a", "2"))], []])
        let first = StoreWriter<Node>(), second = StoreWriter<Node>()
        let watcher = Watcher<Node>(source: script.source).reflect(into: first).reflect(into: second).reflect(into: first)
        var events = 0
        for await _ in watcher {
            events += 1
            if events == 2 { break }
        }
        #expect(first.store.keys == [ObjectKey(name: "b")])
        #expect(second.store.keys == [ObjectKey(name: "b")])
    }
}
