import FakeKubernetesAPI
import Testing

@Suite struct DeletionTests {
    @Test func deletingAnOwnerCollectsItsDependents() async throws {
        try await Harness.run { (h) async throws in
            let owner = try await h.post(nodesPath, node("n")).body
            _ = try await h.post(wnsPath, wasmNodeStatus("n", owner: ownerReference(to: owner)))
            var job: JSONValue = [
                "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "kwasm-install-n"],
                "spec": ["template": ["spec": ["containers": []]]],
            ]
            job["metadata"]!["ownerReferences"] = [ownerReference(to: owner)]
            let createdJob = try await h.post("/apis/batch/v1/namespaces/default/jobs", job).body
            // A pod owned by the job goes too (recursively).
            var jobPod = pod("kwasm-install-n-abcde")
            jobPod["metadata"]!["ownerReferences"] = [ownerReference(to: createdJob)]
            _ = try await h.post("/api/v1/namespaces/default/pods", jobPod)
            let unrelated = try await h.post(wnsPath, wasmNodeStatus("other"))
            #expect(unrelated.status == 201)

            #expect(try await h.delete("\(nodesPath)/n").status == 200)
            #expect(try await h.get("\(wnsPath)/n").status == 404)
            #expect(try await h.get("/apis/batch/v1/namespaces/default/jobs/kwasm-install-n").status == 404)
            #expect(try await h.get("/api/v1/namespaces/default/pods/kwasm-install-n-abcde").status == 404)
            #expect(try await h.get("\(wnsPath)/other").status == 200)
        }
    }

    @Test func dependentWithAnotherLiveOwnerOnlyLosesTheDanglingReference() async throws {
        try await Harness.run { (h) async throws in
            let a = try await h.post(nodesPath, node("a")).body
            let b = try await h.post(nodesPath, node("b")).body
            var status = wasmNodeStatus("shared")
            status["metadata"]!["ownerReferences"] = [ownerReference(to: a), ownerReference(to: b, controller: false)]
            _ = try await h.post(wnsPath, status)
            _ = try await h.delete("\(nodesPath)/a")
            let remaining = try await h.get("\(wnsPath)/shared")
            #expect(remaining.status == 200)
            #expect(remaining.body["metadata"]?["ownerReferences"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["b"])
        }
    }

    @Test func dependentOfAMissingOwnerIsCollected() async throws {
        try await Harness.run { (h) async throws in
            let owner: JSONValue = ["apiVersion": "v1", "kind": "Node", "name": "gone", "uid": "no-such-uid"]
            #expect(try await h.post(wnsPath, wasmNodeStatus("orphan", owner: owner)).status == 201)
            #expect(try await h.get("\(wnsPath)/orphan").status == 404)
        }
    }

    @Test func orphanPropagationKeepsDependents() async throws {
        try await Harness.run { (h) async throws in
            let owner = try await h.post(nodesPath, node("n")).body
            _ = try await h.post(wnsPath, wasmNodeStatus("n", owner: ownerReference(to: owner)))
            _ = try await h.delete("\(nodesPath)/n", ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Orphan"])
            let kept = try await h.get("\(wnsPath)/n")
            #expect(kept.status == 200)
            #expect(kept.body["metadata"]?["ownerReferences"] == nil)
        }
    }

    @Test func foregroundDeletionWaitsForDependents() async throws {
        try await Harness.run { (h) async throws in
            let owner = try await h.post(nodesPath, node("n")).body
            var status = wasmNodeStatus("n", owner: ownerReference(to: owner))
            status["metadata"]!["finalizers"] = ["kwasm.sh/cleanup"]
            _ = try await h.post(wnsPath, status)
            let answer = try await h.delete("\(nodesPath)/n?propagationPolicy=Foreground")
            #expect(answer.status == 200)
            let waiting = try await h.get("\(nodesPath)/n").body
            #expect(waiting["metadata"]?["deletionTimestamp"] != nil)
            #expect(waiting["metadata"]?["finalizers"] == ["foregroundDeletion"])
            // The dependent is being deleted, held by its own finalizer.
            let dependent = try await h.get("\(wnsPath)/n").body
            #expect(dependent["metadata"]?["deletionTimestamp"] != nil)
            _ = try await h.mergePatch("\(wnsPath)/n", ["metadata": ["finalizers": nil]])
            #expect(try await h.get("\(wnsPath)/n").status == 404)
            #expect(try await h.get("\(nodesPath)/n").status == 404)
        }
    }

    @Test func finalizersKeepTheObjectUntilCleared() async throws {
        try await Harness.run { (h) async throws in
            var object = wasmNodeStatus("n")
            object["metadata"]!["finalizers"] = ["kwasm.sh/uninstall"]
            _ = try await h.post(wnsPath, object)
            let watch = try await h.watch("\(wnsPath)?watch=1&resourceVersion=\(h.api.currentResourceVersion)")
            let deleting = try await h.delete("\(wnsPath)/n")
            #expect(deleting.status == 200)
            #expect(deleting.body["metadata"]?["deletionTimestamp"] != nil)
            #expect(try await within { try await watch.next() }?.type == "MODIFIED")
            let still = try await h.get("\(wnsPath)/n").body
            #expect(still["metadata"]?["deletionTimestamp"] != nil)
            // Deleting again changes nothing.
            #expect(try await h.delete("\(wnsPath)/n").body.rv == still.rv)
            // No new finalizers while deleting.
            let added = try await h.mergePatch("\(wnsPath)/n", ["metadata": ["finalizers": ["kwasm.sh/uninstall", "x.io/more"]]])
            #expect(added.status == 422)
            // Clearing the finalizers completes the deletion.
            #expect(try await h.mergePatch("\(wnsPath)/n", ["metadata": ["finalizers": nil]]).status == 200)
            #expect(try await within { try await watch.next() }?.type == "DELETED")
            #expect(try await h.get("\(wnsPath)/n").status == 404)
        }
    }

    @Test func deletePreconditionsAreChecked() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.post(nodesPath, node("n")).body
            _ = try await h.mergePatch("\(nodesPath)/n", ["metadata": ["labels": ["a": "b"]]])
            let stale = try await h.delete("\(nodesPath)/n", ["preconditions": ["resourceVersion": .string(created.rv)]])
            #expect(stale.status == 409)
            let wrongUID = try await h.delete("\(nodesPath)/n", ["preconditions": ["uid": "nope"]])
            #expect(wrongUID.status == 409)
            #expect(try await h.delete("\(nodesPath)/n", ["preconditions": ["uid": .string(created.uid)]]).status == 200)
        }
    }

    @Test func deleteOfMissingObjectIsNotFound() async throws {
        try await Harness.run { (h) async throws in
            #expect(try await h.delete("\(nodesPath)/ghost").status == 404)
        }
    }

    @Test func deletingANamespaceDeletesItsContentsFirst() async throws {
        try await Harness.run { (h) async throws in
            let ns: JSONValue = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "kwasm"]]
            _ = try await h.post("/api/v1/namespaces", ns)
            _ = try await h.post("/api/v1/namespaces/kwasm/pods", pod("a", namespace: "kwasm"))
            var held = pod("held", namespace: "kwasm")
            held["metadata"]!["finalizers"] = ["kwasm.sh/hold"]
            _ = try await h.post("/api/v1/namespaces/kwasm/pods", held)
            _ = try await h.post("/api/v1/namespaces/default/pods", pod("elsewhere"))

            let answer = try await h.delete("/api/v1/namespaces/kwasm")
            #expect(answer.status == 200)
            #expect(answer.body["status"]?["phase"] == "Terminating")
            #expect(try await h.get("/api/v1/namespaces/kwasm/pods/a").status == 404)
            #expect(try await h.get("/api/v1/namespaces/default/pods/elsewhere").status == 200)
            let refused = try await h.post("/api/v1/namespaces/kwasm/pods", pod("new", namespace: "kwasm"))
            #expect(refused.status == 403)
            #expect(refused.body["reason"] == "Forbidden")
            // The namespace waits for the held pod.
            #expect(try await h.get("/api/v1/namespaces/kwasm").status == 200)
            _ = try await h.mergePatch("/api/v1/namespaces/kwasm/pods/held", ["metadata": ["finalizers": nil]])
            #expect(try await h.get("/api/v1/namespaces/kwasm").status == 404)
        }
    }
}
