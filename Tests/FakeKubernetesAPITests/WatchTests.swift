import FakeKubernetesAPI
import Testing

@Suite struct WatchTests {
    @Test func watchWithoutResourceVersionStartsWithAddedForExistingObjects() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post(nodesPath, node("a"))
            _ = try await h.post(nodesPath, node("b"))
            let watch = try await h.watch("\(nodesPath)?watch=true")
            #expect(watch.status == 200)
            let first = try await within { try await watch.next() }
            let second = try await within { try await watch.next() }
            #expect(first?.type == "ADDED")
            #expect([first?.objectName, second?.objectName] == ["a", "b"])
            _ = try await h.post(nodesPath, node("c"))
            let live = try await within { try await watch.next() }
            #expect(live?.type == "ADDED")
            #expect(live?.objectName == "c")
        }
    }

    @Test func watchFromResourceVersionReplaysLaterEventsInOrder() async throws {
        try await Harness.run { (h) async throws in
            let a = try await h.post(nodesPath, node("a")).body
            _ = try await h.mergePatch("\(nodesPath)/a", ["metadata": ["labels": ["x": "1"]]])
            _ = try await h.post(nodesPath, node("b"))
            _ = try await h.delete("\(nodesPath)/a")
            let watch = try await h.watch("\(nodesPath)?watch=1&resourceVersion=\(a.rv)")
            var seen: [String] = []
            var versions: [Int] = []
            for _ in 0..<3 {
                let event = try #require(try await within { try await watch.next() })
                seen.append("\(event.type!) \(event.objectName!)")
                versions.append(Int(event["object"]!.rv)!)
            }
            #expect(seen == ["MODIFIED a", "ADDED b", "DELETED a"])
            #expect(versions == versions.sorted())
            #expect(versions.first! > Int(a.rv)!)
        }
    }

    @Test func watchOfOneNamespaceSeesOnlyThatNamespace() async throws {
        try await Harness.run { (h) async throws in
            let watch = try await h.watch("/api/v1/namespaces/kube-system/pods?watch=1")
            _ = try await h.post("/api/v1/namespaces/default/pods", pod("elsewhere"))
            _ = try await h.post("/api/v1/namespaces/kube-system/pods", pod("here", namespace: "kube-system"))
            let event = try await within { try await watch.next() }
            #expect(event?.objectName == "here")
        }
    }

    @Test func bookmarksCarryOnlyTheResourceVersion() async throws {
        var options = FakeAPIServer.Options()
        options.bookmarkInterval = .milliseconds(50)
        try await Harness.run(options: options) { (h) async throws in
            let created = try await h.post(nodesPath, node("a")).body
            let watch = try await h.watch("\(nodesPath)?watch=1&allowWatchBookmarks=true&resourceVersion=\(created.rv)")
            _ = try await h.post(wnsPath, wasmNodeStatus("a"))  // another kind moves the global resourceVersion
            var bookmark: JSONValue? = nil
            while bookmark == nil {
                let event = try #require(try await within { try await watch.next() })
                if event.type == "BOOKMARK" { bookmark = event }
            }
            let object = try #require(bookmark?["object"])
            #expect(object["kind"] == "Node")
            #expect(object["apiVersion"] == "v1")
            #expect(object["metadata"]?.objectValue?.keys.sorted() == ["resourceVersion"])
            #expect(object["spec"] == nil)
            #expect(Int(object.rv)! >= Int(created.rv)!)
        }
    }

    @Test func noBookmarksUnlessAsked() async throws {
        var options = FakeAPIServer.Options()
        options.bookmarkInterval = .milliseconds(20)
        try await Harness.run(options: options) { (h) async throws in
            let created = try await h.post(nodesPath, node("a")).body
            let watch = try await h.watch("\(nodesPath)?watch=1&resourceVersion=\(created.rv)")
            try await Task.sleep(for: .milliseconds(150))
            _ = try await h.post(nodesPath, node("b"))
            let event = try await within { try await watch.next() }
            #expect(event?.type == "ADDED")
        }
    }

    @Test func watchFromCompactedResourceVersionGetsExpiredErrorEvent() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.post(nodesPath, node("a")).body
            _ = try await h.post(nodesPath, node("b"))
            h.api.expireResourceVersions()
            let watch = try await h.watch("\(nodesPath)?watch=1&resourceVersion=\(created.rv)")
            #expect(watch.status == 200)
            let event = try #require(try await within { try await watch.next() })
            #expect(event.type == "ERROR")
            #expect(event["object"]?["kind"] == "Status")
            #expect(event["object"]?["code"] == 410)
            #expect(event["object"]?["reason"] == "Expired")
            #expect(try await within { try await watch.next() } == nil)  // stream ends
            #expect(watch.failed == nil)
        }
    }

    @Test func historyLimitCompactsOldVersions() async throws {
        var options = FakeAPIServer.Options()
        options.historyLimit = 3
        try await Harness.run(options: options) { (h) async throws in
            let first = try await h.post(nodesPath, node("a")).body
            for i in 0..<5 { _ = try await h.post(nodesPath, node("n\(i)")) }
            let watch = try await h.watch("\(nodesPath)?watch=1&resourceVersion=\(first.rv)")
            #expect(try await within { try await watch.next() }?.type == "ERROR")
            let recent = h.api.currentResourceVersion - 2
            let ok = try await h.watch("\(nodesPath)?watch=1&resourceVersion=\(recent)")
            #expect(try await within { try await ok.next() }?.type == "ADDED")
        }
    }

    @Test func objectLeavingTheSelectorIsDeletedForTheWatcher() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post(nodesPath, node("a", labels: ["kwasm.sh/kwasm-node": "true"]))
            let watch = try await h.watch("\(nodesPath)?watch=1&labelSelector=kwasm.sh%2Fkwasm-node%3Dtrue")
            #expect(try await within { try await watch.next() }?.type == "ADDED")
            _ = try await h.mergePatch("\(nodesPath)/a", ["metadata": ["labels": ["kwasm.sh/kwasm-node": "false"]]])
            let left = try await within { try await watch.next() }
            #expect(left?.type == "DELETED")
            // Like the real watch cache: the last state that matched, at the change's resourceVersion.
            #expect(left?["object"]?["metadata"]?["labels"]?["kwasm.sh/kwasm-node"] == "true")
            #expect(left?["object"]?["metadata"]?["resourceVersion"]?.stringValue == String(h.api.currentResourceVersion))
            _ = try await h.mergePatch("\(nodesPath)/a", ["metadata": ["labels": ["other": "x"]]])  // not visible
            _ = try await h.mergePatch("\(nodesPath)/a", ["metadata": ["labels": ["kwasm.sh/kwasm-node": "true"]]])
            let back = try await within { try await watch.next() }
            #expect(back?.type == "ADDED")
        }
    }

    @Test func fieldSelectorWatchOnName() async throws {
        try await Harness.run { (h) async throws in
            let watch = try await h.watch("\(nodesPath)?watch=1&fieldSelector=metadata.name%3Db")
            _ = try await h.post(nodesPath, node("a"))
            _ = try await h.post(nodesPath, node("b"))
            #expect(try await within { try await watch.next() }?.objectName == "b")
        }
    }

    @Test func timeoutSecondsEndsTheStreamCleanly() async throws {
        try await Harness.run { (h) async throws in
            let watch = try await h.watch("\(nodesPath)?watch=1&timeoutSeconds=1")
            let end = try await within(5) { try await watch.next() }
            #expect(end == nil)
            #expect(watch.failed == nil)
            #expect(h.api.openWatchCount == 0)
        }
    }

    @Test func sendInitialEventsEndsWithAnnotatedBookmark() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post(nodesPath, node("a"))
            let watch = try await h.watch(
                "\(nodesPath)?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true")
            #expect(try await within { try await watch.next() }?.type == "ADDED")
            let bookmark = try await within { try await watch.next() }
            #expect(bookmark?.type == "BOOKMARK")
            #expect(bookmark?["object"]?["metadata"]?["annotations"]?["k8s.io/initial-events-end"] == "true")
        }
    }

    @Test func manyWatchersAllSeeEveryEvent() async throws {
        try await Harness.run { (h) async throws in
            var watches: [WatchReader] = []
            for _ in 0..<5 { watches.append(try await h.watch("\(nodesPath)?watch=1")) }
            for i in 0..<3 { _ = try await h.post(nodesPath, node("n\(i)")) }
            for watch in watches {
                var names: [String] = []
                for _ in 0..<3 { names.append(try await within { try await watch.next() }?.objectName ?? "") }
                #expect(names == ["n0", "n1", "n2"])
            }
            #expect(h.api.openWatchCount == 5)
        }
    }

    @Test func concurrentWritersProduceAGaplessOrderedStream() async throws {
        try await Harness.run { (h) async throws in
            let start = h.api.currentResourceVersion
            let watch = try await h.watch("\(nodesPath)?watch=1&resourceVersion=\(start)")
            let api = h.api
            // In-process writers on several threads plus HTTP writers at once.
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for i in 0..<50 { _ = try? api.create(node("w\(writer)-\(i)")) }
                    }
                }
                group.addTask {
                    for i in 0..<20 { _ = try? await h.post(nodesPath, node("http-\(i)")) }
                }
            }
            var versions: [Int] = []
            for _ in 0..<220 {
                let event = try #require(try await within { try await watch.next() })
                #expect(event.type == "ADDED")
                versions.append(Int(event["object"]!.rv)!)
            }
            #expect(versions == versions.sorted())
            #expect(Set(versions).count == 220)
            #expect(api.count(.nodes) == 220)
        }
    }
}
