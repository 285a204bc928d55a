import FakeKubernetesAPI
import Testing

@Suite struct CRUDTests {
    @Test func createGetUpdateDeleteRoundTrip() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.post(nodesPath, node("node-1"))
            #expect(created.status == 201)
            #expect(!created.body.uid.isEmpty)
            #expect(created.body["metadata"]?["creationTimestamp"]?.stringValue?.hasSuffix("Z") == true)
            #expect(created.body["metadata"]?["generation"] == nil, "Nodes carry no generation (custom resources and Jobs do)")
            #expect(Int(created.body.rv) != nil)

            let fetched = try await h.get("\(nodesPath)/node-1")
            #expect(fetched.status == 200)
            #expect(fetched.body == created.body)

            var changed = fetched.body
            changed["metadata"]!["labels"] = ["zone": "a"]
            let updated = try await h.put("\(nodesPath)/node-1", changed)
            #expect(updated.status == 200)
            #expect(Int(updated.body.rv)! > Int(created.body.rv)!)
            #expect(updated.body["metadata"]?["labels"]?["zone"] == "a")
            #expect(updated.body.uid == created.body.uid)

            let deleted = try await h.delete("\(nodesPath)/node-1")
            #expect(deleted.status == 200)
            let gone = try await h.get("\(nodesPath)/node-1")
            #expect(gone.status == 404)
            #expect(gone.body["kind"] == "Status")
            #expect(gone.body["apiVersion"] == "v1")
            #expect(gone.body["status"] == "Failure")
            #expect(gone.body["reason"] == "NotFound")
            #expect(gone.body["code"] == 404)
            #expect(gone.body["details"]?["name"] == "node-1")
            #expect(gone.body["details"]?["kind"] == "nodes")
            #expect(gone.body["message"] == "nodes \"node-1\" not found")
        }
    }

    @Test func createTwiceAnswersAlreadyExists() async throws {
        try await Harness.run { (h) async throws in
            #expect(try await h.post(nodesPath, node("n")).status == 201)
            let again = try await h.post(nodesPath, node("n"))
            #expect(again.status == 409)
            #expect(again.body["reason"] == "AlreadyExists")
        }
    }

    @Test func updateWithStaleResourceVersionConflicts() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.post(nodesPath, node("n")).body
            var first = created
            first["metadata"]!["labels"] = ["a": "1"]
            #expect(try await h.put("\(nodesPath)/n", first).status == 200)
            var stale = created
            stale["metadata"]!["labels"] = ["a": "2"]
            let conflict = try await h.put("\(nodesPath)/n", stale)
            #expect(conflict.status == 409)
            #expect(conflict.body["reason"] == "Conflict")
            #expect(conflict.body["message"]?.stringValue?.contains("the object has been modified") == true)

            // Without a resourceVersion a Node is overwritten unconditionally (as on the real server)…
            var missing = created
            missing["metadata"]!["resourceVersion"] = nil
            missing["metadata"]!["labels"] = ["a": "3"]
            let unconditional = try await h.put("\(nodesPath)/n", missing)
            #expect(unconditional.status == 200)
            #expect(unconditional.body["metadata"]?["labels"]?["a"] == "3")
            // …while a custom resource requires one.
            var status = try await h.post(wnsPath, wasmNodeStatus("w")).body
            status["metadata"]!["resourceVersion"] = nil
            #expect(try await h.put("\(wnsPath)/w", status).status == 422)
        }
    }

    @Test func updateOfMissingObjectIsNotFound() async throws {
        try await Harness.run { (h) async throws in
            var object = node("ghost")
            object["metadata"]!["resourceVersion"] = "5"
            #expect(try await h.put("\(nodesPath)/ghost", object).status == 404)
        }
    }

    @Test func resourceVersionIsOneGlobalIncreasingCounter() async throws {
        try await Harness.run { (h) async throws in
            let a = try await h.post(nodesPath, node("a")).body
            let b = try await h.post("/api/v1/namespaces/default/pods", pod("p")).body
            let c = try await h.post(wnsPath, wasmNodeStatus("a")).body
            let versions = [a, b, c].map { Int($0.rv)! }
            #expect(versions == versions.sorted())
            #expect(Set(versions).count == 3)
            let list = try await h.get(nodesPath).body
            #expect(Int(list.rv)! >= versions.last!)
        }
    }

    @Test func generateNameAddsFiveRandomCharacters() async throws {
        try await Harness.run { (h) async throws in
            var names = Set<String>()
            for _ in 0..<5 {
                let object: JSONValue = [
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": ["generateName": "job-runner-"], "spec": ["containers": []],
                ]
                let created = try await h.post("/api/v1/namespaces/default/pods", object)
                #expect(created.status == 201)
                let name = created.body.objectName ?? ""
                #expect(name.hasPrefix("job-runner-"))
                #expect(name.count == "job-runner-".count + 5)
                names.insert(name)
            }
            #expect(names.count == 5)
        }
    }

    @Test func namespaceInBodyMustMatchURL() async throws {
        try await Harness.run { (h) async throws in
            let answer = try await h.post("/api/v1/namespaces/default/pods", pod("p", namespace: "other"))
            #expect(answer.status == 400)
            #expect(answer.body["reason"] == "BadRequest")
            let filled = try await h.post("/api/v1/namespaces/kube-system/pods", pod("p2", namespace: "kube-system"))
            #expect(filled.status == 201)
            #expect(filled.body["metadata"]?["namespace"] == "kube-system")
        }
    }

    @Test func namespacedListsAcrossAndWithinNamespaces() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post("/api/v1/namespaces/default/pods", pod("a"))
            _ = try await h.post("/api/v1/namespaces/kube-system/pods", pod("b", namespace: "kube-system"))
            let all = try await h.get("/api/v1/pods").body["items"]?.arrayValue ?? []
            #expect(all.count == 2)
            let one = try await h.get("/api/v1/namespaces/kube-system/pods").body["items"]?.arrayValue ?? []
            #expect(one.map { $0.objectName } == ["b"])
            #expect(try await h.get("/api/v1/namespaces/default/pods").body["kind"] == "PodList")
        }
    }

    @Test func unknownResourcesAndWrongScopesAreNotFound() async throws {
        try await Harness.run { (h) async throws in
            #expect(try await h.get("/api/v1/widgets").status == 404)
            #expect(try await h.get("/api/v1/namespaces/default/nodes").status == 404)
            #expect(try await h.get("/apis/batch/v2/jobs").status == 404)
            #expect(try await h.get("/api/v1/namespaces/default/pods/x/logs").status == 404)
        }
    }

    @Test func requiredNamespaceMustExistWhenConfigured() async throws {
        var options = FakeAPIServer.Options()
        options.requireExistingNamespace = true
        try await Harness.run(options: options) { (h) async throws in
            #expect(try await h.post("/api/v1/namespaces/nope/pods", pod("p", namespace: "nope")).status == 404)
            #expect(try await h.post("/api/v1/namespaces/default/pods", pod("p")).status == 201)
        }
    }

    @Test func deleteCollectionRemovesMatchingObjects() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post(nodesPath, node("a", labels: ["x": "1"]))
            _ = try await h.post(nodesPath, node("b", labels: ["x": "2"]))
            let answer = try await h.request(.DELETE, "\(nodesPath)?labelSelector=x%3D1")
            #expect(answer.status == 200)
            #expect(try h.api.list(.nodes).map { $0.objectName } == ["b"])
        }
    }
}
