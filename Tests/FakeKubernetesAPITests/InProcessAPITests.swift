import FakeKubernetesAPI
import Testing

@Suite struct InProcessAPITests {
    @Test func objectsCreatedInProcessAreServedOverHTTP() async throws {
        try await Harness.run { (h) async throws in
            let created = try h.api.create(node("n", labels: ["a": "b"]))
            #expect(!created.uid.isEmpty)
            let fetched = try await h.get("\(nodesPath)/n")
            #expect(fetched.body == created)
            #expect(h.api.count(.nodes) == 1)
        }
    }

    @Test func inProcessWritesFollowTheSameRules() async throws {
        let api = FakeAPIServer()
        #expect(throws: APIError.self) { try api.create(node("Bad_Name")) }
        try api.create(node("n"))
        do {
            try api.create(node("n"))
            Issue.record("expected AlreadyExists")
        } catch {
            #expect(error.code == 409)
            #expect(error.reason == "AlreadyExists")
        }
    }

    @Test func modifySimulatesAKubeletUpdatingStatus() async throws {
        let api = FakeAPIServer()
        try api.create(pod("installer", namespace: "kwasm"))
        let changed = try api.modify(.pods, namespace: "kwasm", name: "installer") { pod in
            pod["status"] = [
                "phase": "Succeeded",
                "containerStatuses": [["name": "c", "state": ["terminated": ["exitCode": 0, "message": "{\"result\":\"installed\"}"]]]],
            ]
        }
        #expect(changed["status"]?["phase"] == "Succeeded")
        #expect(api.get(.pods, namespace: "kwasm", name: "installer")?["status"]?["phase"] == "Succeeded")
    }

    @Test func changesStreamReportsCommitsInOrder() async throws {
        let api = FakeAPIServer()
        let changes = api.changes(of: .jobs)
        let job: JSONValue = [
            "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "j", "namespace": "kwasm"],
            "spec": ["template": ["spec": ["containers": []]]],
        ]
        try api.create(job)
        try api.create(node("ignored"))
        try api.mergePatch(.jobs, namespace: "kwasm", name: "j", ["status": ["succeeded": 1]])
        try api.delete(.jobs, namespace: "kwasm", name: "j")
        var iterator = changes.makeAsyncIterator()
        var seen: [WatchEventType] = []
        for _ in 0..<3 { seen.append(try #require(await iterator.next()).type) }
        #expect(seen == [.added, .modified, .deleted])
    }

    @Test func listAndChangesHasNoGap() async throws {
        let api = FakeAPIServer()
        try api.create(node("before"))
        let (objects, changes) = api.listAndChanges(of: .nodes)
        try api.create(node("after"))
        #expect(objects.compactMap(\.objectName) == ["before"])
        var iterator = changes.makeAsyncIterator()
        #expect(await iterator.next()?.name == "after")
    }

    @Test func subscriberReactsLikeAJobRunner() async throws {
        // A simulated job runner: every created Job gets a terminated Pod and a succeeded status.
        let api = FakeAPIServer()
        let jobs = api.changes(of: .jobs)
        let runner = Task {
            for await change in jobs where change.type == .added {
                let ns = change.namespace ?? "default"
                try api.mergePatch(.jobs, namespace: ns, name: change.name, ["status": ["succeeded": 1]])
                return
            }
        }
        let job: JSONValue = [
            "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "kwasm-install-n", "namespace": "kwasm"],
            "spec": ["template": ["spec": ["containers": []]]],
        ]
        try api.create(job)
        try await runner.value
        #expect(api.get(.jobs, namespace: "kwasm", name: "kwasm-install-n")?["status"]?["succeeded"] == 1)
    }

    @Test func replaceChecksResourceVersionWhenGiven() async throws {
        let api = FakeAPIServer()
        let created = try api.create(node("n"))
        var changed = created
        changed["metadata"]!["labels"] = ["a": "1"]
        try api.replace(.nodes, changed)
        #expect(throws: APIError.self) { try api.replace(.nodes, changed) }  // stale now
        changed["metadata"]!["resourceVersion"] = nil
        changed["metadata"]!["labels"] = ["a": "2"]
        #expect(try api.replace(.nodes, changed)["metadata"]?["labels"]?["a"] == "2")
    }

    @Test func customResourcesCanBeRegistered() async throws {
        try await Harness.run { (h) async throws in
            let widgets = ResourceDescriptor(
                group: "example.com", version: "v1", plural: "widgets", kind: "Widget", namespaced: true,
                hasStatusSubresource: false)
            h.api.register(widgets)
            let widget: JSONValue = ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"]]
            #expect(try await h.post("/apis/example.com/v1/namespaces/default/widgets", widget).status == 201)
            #expect(h.api.get(widgets, namespace: "default", name: "w") != nil)
        }
    }
}

@Suite struct DiscoveryTests {
    @Test func discoveryDocumentsListServedResources() async throws {
        try await Harness.run { (h) async throws in
            #expect(try await h.get("/api").body["versions"] == ["v1"])
            let groups = try await h.get("/apis").body["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(groups.contains("kwasm.sh"))
            #expect(groups.contains("coordination.k8s.io"))
            let resources = try await h.get("/apis/kwasm.sh/v1alpha1").body["resources"]?.arrayValue ?? []
            #expect(resources.compactMap { $0["name"]?.stringValue } == ["wasmnodestatuses", "wasmnodestatuses/status"])
            #expect(resources.first?["namespaced"] == false)
            let core = try await h.get("/api/v1").body["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(core.contains("pods"))
            #expect(try await h.get("/version").body["major"] == "1")
            #expect(try await h.get("/healthz").text == "ok")
        }
    }
}
