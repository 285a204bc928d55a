import FakeKubernetesAPI
import Testing

@Suite struct MergePatchTests {
    @Test func mergePatchMergesObjectsAndNullDeletes() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post(nodesPath, node("n", labels: ["keep": "1", "drop": "2"]))
            let answer = try await h.mergePatch(
                "\(nodesPath)/n", ["metadata": ["labels": ["drop": nil, "add": "3"], "annotations": ["kwasm.sh/kwasm-node": "true"]]])
            #expect(answer.status == 200)
            #expect(answer.body["metadata"]?["labels"] == ["keep": "1", "add": "3"])
            #expect(answer.body["metadata"]?["annotations"]?["kwasm.sh/kwasm-node"] == "true")
        }
    }

    @Test func mergePatchReplacesArrays() async throws {
        try await Harness.run { (h) async throws in
            var object = node("n")
            object["spec"] = ["taints": [["key": "a", "effect": "NoSchedule"], ["key": "b", "effect": "NoSchedule"]]]
            _ = try await h.post(nodesPath, object)
            let answer = try await h.mergePatch("\(nodesPath)/n", ["spec": ["taints": [["key": "c", "effect": "NoSchedule"]]]])
            #expect(answer.body["spec"]?["taints"]?.arrayValue?.count == 1)
        }
    }

    @Test func resourceVersionInPatchIsAPrecondition() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.post(nodesPath, node("n")).body
            _ = try await h.mergePatch("\(nodesPath)/n", ["metadata": ["labels": ["a": "1"]]])
            let stale = try await h.mergePatch(
                "\(nodesPath)/n", ["metadata": ["resourceVersion": .string(created.rv), "labels": ["a": "2"]]])
            #expect(stale.status == 409)
            #expect(stale.body["reason"] == "Conflict")
            let current = h.api.get(.nodes, name: "n")!.rv
            let fresh = try await h.mergePatch(
                "\(nodesPath)/n", ["metadata": ["resourceVersion": .string(current), "labels": ["a": "2"]]])
            #expect(fresh.status == 200)
        }
    }

    @Test func noOpPatchDoesNotWrite() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.post(nodesPath, node("n", labels: ["a": "1"])).body
            let same = try await h.mergePatch("\(nodesPath)/n", ["metadata": ["labels": ["a": "1"]]]).body
            #expect(same.rv == created.rv)
        }
    }

    @Test func patchOfMissingObjectIsNotFound() async throws {
        try await Harness.run { (h) async throws in
            #expect(try await h.mergePatch("\(nodesPath)/ghost", ["metadata": ["labels": ["a": "1"]]]).status == 404)
        }
    }

    @Test func unsupportedPatchTypesAnswer415() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post(nodesPath, node("n"))
            let strategic = try await h.request(
                .PATCH, "\(nodesPath)/n", body: ["metadata": ["labels": ["a": "1"]]],
                contentType: "application/strategic-merge-patch+json")
            #expect(strategic.status == 415)
            #expect(strategic.body["reason"] == "UnsupportedMediaType")
        }
    }
}

@Suite struct JSONPatchTests {
    func jsonPatch(_ h: Harness, _ path: String, _ ops: JSONValue) async throws -> Harness.Answer {
        try await h.request(.PATCH, path, body: ops, contentType: "application/json-patch+json")
    }

    @Test func operationsApplyInOrder() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post(nodesPath, node("n", labels: ["a": "1", "b": "2"]))
            let answer = try await jsonPatch(h, "\(nodesPath)/n", [
                ["op": "add", "path": "/metadata/labels/kwasm.sh~1kwasm-provisioned", "value": "true"],
                ["op": "remove", "path": "/metadata/labels/a"],
                ["op": "replace", "path": "/metadata/labels/b", "value": "3"],
                ["op": "copy", "from": "/metadata/labels/b", "path": "/metadata/labels/c"],
                ["op": "add", "path": "/spec/taints", "value": []],
                ["op": "add", "path": "/spec/taints/-", "value": ["key": "k", "effect": "NoSchedule"]],
            ])
            #expect(answer.status == 200)
            #expect(answer.body["metadata"]?["labels"] == ["b": "3", "c": "3", "kwasm.sh/kwasm-provisioned": "true"])
            #expect(answer.body["spec"]?["taints"]?.arrayValue?.count == 1)
        }
    }

    @Test func failedTestOperationChangesNothing() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.post(nodesPath, node("n")).body
            _ = try await h.mergePatch("\(nodesPath)/n", ["metadata": ["labels": ["x": "1"]]])
            let answer = try await jsonPatch(h, "\(nodesPath)/n", [
                ["op": "test", "path": "/metadata/resourceVersion", "value": .string(created.rv)],
                ["op": "add", "path": "/metadata/labels/y", "value": "2"],
            ])
            #expect(answer.status == 422)
            #expect(h.api.get(.nodes, name: "n")?["metadata"]?["labels"] == ["x": "1"])
            #expect(try await jsonPatch(h, "\(nodesPath)/n", [["op": "remove", "path": "/metadata/labels/nope"]]).status == 422)
        }
    }
}

@Suite struct ServerSideApplyTests {
    let path = "\(wnsPath)/n?fieldManager=kwasm-operator"

    @Test func applyNeedsAFieldManager() async throws {
        try await Harness.run { (h) async throws in
            let answer = try await h.apply("\(wnsPath)/n", wasmNodeStatus("n"))
            #expect(answer.status == 422)
            #expect(answer.body["reason"] == "Invalid")
        }
    }

    @Test func applyCreatesThenUpdates() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.apply(path, wasmNodeStatus("n"))
            #expect(created.status == 201)
            #expect(created.body["spec"]?["nodeName"] == "n")
            var config = wasmNodeStatus("n")
            config["spec"]!["extra"] = "x"
            let updated = try await h.apply(path, config)
            #expect(updated.status == 200)
            #expect(updated.body["spec"]?["extra"] == "x")
            #expect(updated.body.uid == created.body.uid)
            let again = try await h.apply(path, config)
            #expect(again.body.rv == updated.body.rv)  // converged: no write
        }
    }

    @Test func applyRemovesFieldsTheManagerNoLongerApplies() async throws {
        try await Harness.run { (h) async throws in
            var config = wasmNodeStatus("n")
            config["metadata"]!["labels"] = ["a": "1", "b": "2"]
            _ = try await h.apply(path, config)
            // Someone else's field survives.
            _ = try await h.mergePatch("\(wnsPath)/n", ["metadata": ["labels": ["other": "x"]]])
            config["metadata"]!["labels"] = ["a": "1"]
            let answer = try await h.apply(path, config).body
            #expect(answer["metadata"]?["labels"] == ["a": "1", "other": "x"])
        }
    }

    @Test func applyConflictsWithAnotherManagerUnlessForced() async throws {
        try await Harness.run { (h) async throws in
            var config = wasmNodeStatus("n")
            config["metadata"]!["labels"] = ["owner": "first"]
            _ = try await h.apply(path, config)
            config["metadata"]!["labels"] = ["owner": "second"]
            let conflict = try await h.apply("\(wnsPath)/n?fieldManager=other", config)
            #expect(conflict.status == 409)
            #expect(conflict.body["reason"] == "Conflict")
            #expect(conflict.body["details"]?["causes"]?.arrayValue?.first?["field"] == ".metadata.labels.owner")
            let forced = try await h.apply("\(wnsPath)/n?fieldManager=other&force=true", config)
            #expect(forced.status == 200)
            #expect(forced.body["metadata"]?["labels"]?["owner"] == "second")
        }
    }

    @Test func applyToStatusSubresourceChangesOnlyStatus() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.apply(path, wasmNodeStatus("n"))
            var config = wasmNodeStatus("n", status: ["phase": "Ready"])
            config["spec"] = ["nodeName": "changed"]
            let answer = try await h.apply("\(wnsPath)/n/status?fieldManager=kwasm-operator", config).body
            #expect(answer["status"]?["phase"] == "Ready")
            #expect(answer["spec"]?["nodeName"] == "n")
            // Main-resource apply keeps status out.
            let main = try await h.apply(path, wasmNodeStatus("n", status: ["phase": "Failed"])).body
            #expect(main["status"]?["phase"] == "Ready")
        }
    }

    @Test func applyToStatusOfMissingObjectIsNotFound() async throws {
        try await Harness.run { (h) async throws in
            let answer = try await h.apply("\(wnsPath)/n/status?fieldManager=m", wasmNodeStatus("n", status: ["phase": "Ready"]))
            #expect(answer.status == 404)
        }
    }

    @Test func applyWithStaleResourceVersionConflicts() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.apply(path, wasmNodeStatus("n"))
            var config = wasmNodeStatus("n")
            config["metadata"]!["resourceVersion"] = "1"
            #expect(try await h.apply(path, config).status == 409)
        }
    }
}
