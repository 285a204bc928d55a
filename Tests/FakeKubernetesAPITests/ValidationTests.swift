import FakeKubernetesAPI
import Testing

@Suite struct ValidationTests {
    @Test(arguments: ["Upper", "under_score", "-leading", "trailing-", "a..b", String(repeating: "a", count: 254)])
    func namesThatAreNotDNS1123SubdomainsAreInvalid(name: String) async throws {
        try await Harness.run { (h) async throws in
            let answer = try await h.post(nodesPath, node(name))
            #expect(answer.status == 422)
            #expect(answer.body["reason"] == "Invalid")
            #expect(answer.body["details"]?["kind"] == "Node")
            let fields = answer.body["details"]?["causes"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []
            #expect(fields.contains("metadata.name"))
        }
    }

    @Test func dottedNodeNamesAreValid() async throws {
        try await Harness.run { (h) async throws in
            #expect(try await h.post(nodesPath, node("ip-10-0-0-1.ec2.internal")).status == 201)
        }
    }

    @Test func namespacesMustBeDNS1123Labels() async throws {
        try await Harness.run { (h) async throws in
            let dotted: JSONValue = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "a.b"]]
            #expect(try await h.post("/api/v1/namespaces", dotted).status == 422)
            let fine: JSONValue = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "kwasm"]]
            #expect(try await h.post("/api/v1/namespaces", fine).status == 201)
        }
    }

    @Test func jobNamesAreLimitedTo63Characters() async throws {
        try await Harness.run { (h) async throws in
            let long = "kwasm-install-" + String(repeating: "n", count: 50)
            let job: JSONValue = [
                "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": .string(long)],
                "spec": ["template": ["spec": ["containers": []]]],
            ]
            #expect(try await h.post("/apis/batch/v1/namespaces/default/jobs", job).status == 422)
        }
    }

    @Test func labelValuesLongerThan63CharactersAreInvalid() async throws {
        try await Harness.run { (h) async throws in
            let answer = try await h.post(nodesPath, node("n", labels: ["k": .string(String(repeating: "v", count: 64))]))
            #expect(answer.status == 422)
            let causes = answer.body["details"]?["causes"]?.arrayValue ?? []
            #expect(causes.contains { $0["field"] == "metadata.labels" })
            #expect(try await h.post(nodesPath, node("n", labels: ["k": .string(String(repeating: "v", count: 63))])).status == 201)
        }
    }

    @Test(arguments: ["bad key", "/x", "a/b/c", "example.com/" + String(repeating: "k", count: 64)])
    func invalidLabelKeysAreRejected(key: String) async throws {
        try await Harness.run { (h) async throws in
            #expect(try await h.post(nodesPath, node("n", labels: [key: "v"])).status == 422)
        }
    }

    @Test func invalidLabelValueCharactersAreRejected() async throws {
        try await Harness.run { (h) async throws in
            #expect(try await h.post(nodesPath, node("n", labels: ["k": "has space"])).status == 422)
            #expect(try await h.post(nodesPath, node("n", labels: ["kwasm.sh/kwasm-node": "true"])).status == 201)
        }
    }

    @Test func annotationsLargerThan256KiBAreRejected() async throws {
        try await Harness.run { (h) async throws in
            var object = node("n")
            object["metadata"]!["annotations"] = ["big": .string(String(repeating: "x", count: 262_145))]
            #expect(try await h.post(nodesPath, object).status == 422)
        }
    }

    @Test func updatesAreValidatedToo() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.post(nodesPath, node("n")).body
            let answer = try await h.mergePatch(
                "\(nodesPath)/n", ["metadata": ["labels": ["k": .string(String(repeating: "v", count: 64))]]])
            #expect(answer.status == 422)
            #expect(h.api.get(.nodes, name: "n")?.rv == created.rv)
        }
    }

    @Test func twoControllerOwnerReferencesAreInvalid() async throws {
        try await Harness.run { (h) async throws in
            let a = try await h.post(nodesPath, node("a")).body
            let b = try await h.post(nodesPath, node("b")).body
            var status = wasmNodeStatus("a")
            status["metadata"]!["ownerReferences"] = [ownerReference(to: a), ownerReference(to: b)]
            #expect(try await h.post(wnsPath, status).status == 422)
        }
    }

    @Test func resourceVersionOnCreateIsRejected() async throws {
        try await Harness.run { (h) async throws in
            var object = node("n")
            object["metadata"]!["resourceVersion"] = "12"
            // The real server answers a bare 500 (from its storage layer), with no reason.
            let answer = try await h.post(nodesPath, object)
            #expect(answer.status == 500)
            #expect(answer.body["reason"] == nil)
        }
    }

    @Test func kindMustMatchTheURL() async throws {
        try await Harness.run { (h) async throws in
            var object = node("n")
            object["kind"] = "Pod"
            #expect(try await h.post(nodesPath, object).status == 400)
        }
    }
}
