import FakeKubernetesAPI
import Testing

@Suite struct StatusSubresourceTests {
    @Test func createIgnoresStatusForKindsWithStatusSubresource() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.post(wnsPath, wasmNodeStatus("n", status: ["phase": "Ready"])).body
            #expect(created["status"] == nil)
        }
    }

    @Test func mainResourceIgnoresStatusAndStatusIgnoresSpec() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.post(wnsPath, wasmNodeStatus("n")).body
            // Status through the main resource: ignored.
            var withStatus = created
            withStatus["status"] = ["phase": "Ready"]
            let main = try await h.put("\(wnsPath)/n", withStatus).body
            #expect(main["status"] == nil)
            #expect(main.rv == created.rv)  // nothing changed: no write

            // Spec through /status: ignored; status stored.
            var viaStatus = created
            viaStatus["spec"] = ["nodeName": "other"]
            viaStatus["status"] = ["phase": "Installing"]
            viaStatus["metadata"]!["labels"] = ["ignored": "yes"]
            let status = try await h.put("\(wnsPath)/n/status", viaStatus)
            #expect(status.status == 200)
            #expect(status.body["status"]?["phase"] == "Installing")
            #expect(status.body["spec"]?["nodeName"] == "n")
            #expect(status.body["metadata"]?["labels"] == nil)
            #expect(status.body["metadata"]?["generation"] == 1)

            // The same through merge patch.
            let patched = try await h.mergePatch("\(wnsPath)/n/status", ["status": ["phase": "Ready"], "spec": ["nodeName": "x"]]).body
            #expect(patched["status"]?["phase"] == "Ready")
            #expect(patched["spec"]?["nodeName"] == "n")
            let ignored = try await h.mergePatch("\(wnsPath)/n", ["status": ["phase": "Failed"]]).body
            #expect(ignored["status"]?["phase"] == "Ready")
        }
    }

    @Test func generationBumpsOnSpecChangesOnly() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post(wnsPath, wasmNodeStatus("n"))
            let labelled = try await h.mergePatch("\(wnsPath)/n", ["metadata": ["labels": ["a": "b"]]]).body
            #expect(labelled["metadata"]?["generation"] == 1)
            let statusOnly = try await h.mergePatch("\(wnsPath)/n/status", ["status": ["phase": "Ready"]]).body
            #expect(statusOnly["metadata"]?["generation"] == 1)
            let spec = try await h.mergePatch("\(wnsPath)/n", ["spec": ["nodeName": "m"]]).body
            #expect(spec["metadata"]?["generation"] == 2)
        }
    }

    @Test func statusUpdateNeedsCurrentResourceVersion() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.post(wnsPath, wasmNodeStatus("n")).body
            _ = try await h.mergePatch("\(wnsPath)/n", ["metadata": ["labels": ["a": "b"]]])
            var stale = created
            stale["status"] = ["phase": "Ready"]
            #expect(try await h.put("\(wnsPath)/n/status", stale).status == 409)
        }
    }

    @Test func statusSubresourceOfKindWithoutOneIsNotFound() async throws {
        try await Harness.run { (h) async throws in
            let lease: JSONValue = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "l"], "spec": [:]]
            #expect(try await h.post("/apis/coordination.k8s.io/v1/namespaces/default/leases", lease).status == 201)
            #expect(try await h.get("/apis/coordination.k8s.io/v1/namespaces/default/leases/l/status").status == 404)
        }
    }

    @Test func jobsGetServerDefaultedSelectorAndTemplateLabels() async throws {
        try await Harness.run { (h) async throws in
            let job: JSONValue = [
                "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "kwasm-install-n"],
                "spec": ["template": ["spec": ["containers": [["name": "i", "image": "x"]], "restartPolicy": "Never"]]],
            ]
            let created = try await h.post("/apis/batch/v1/namespaces/default/jobs", job).body
            let uid = created.uid
            #expect(created["spec"]?["selector"]?["matchLabels"]?["batch.kubernetes.io/controller-uid"] == .string(uid))
            #expect(created["spec"]?["template"]?["metadata"]?["labels"]?["job-name"] == "kwasm-install-n")
        }
    }
}
