import FakeKubernetesAPI
import Testing

@Suite struct KindRulesTests {
    let leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases"

    @Test func leaseMicroTimesAreStoredWithSixFractionalDigits() async throws {
        try await Harness.run { (h) async throws in
            let lease: JSONValue = [
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "kwasm-operator"],
                "spec": [
                    "holderIdentity": "a", "leaseDurationSeconds": 15,
                    "acquireTime": "2026-11-22T02:54:02.123Z", "renewTime": "2026-11-22T04:54:02.1234567+02:00",
                ],
            ]
            let created = try await h.post(leases, lease).body
            #expect(created["spec"]?["acquireTime"] == "2026-11-22T02:54:02.123000Z")
            #expect(created["spec"]?["renewTime"] == "2026-11-22T02:54:02.123456Z")
            var bad = lease
            bad["metadata"]!["name"] = "bad"
            bad["spec"]!["renewTime"] = "yesterday"
            #expect(try await h.post(leases, bad).status == 400)
            bad["spec"]!["renewTime"] = "2026-11-22T02:54:02Z"
            bad["spec"]!["leaseDurationSeconds"] = 0
            #expect(try await h.post(leases, bad).status == 422)
        }
    }

    @Test func builtInConditionTimesHaveSecondPrecision() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post(nodesPath, node("n"))
            let patched = try await h.mergePatch(
                "\(nodesPath)/n/status",
                ["status": ["conditions": [["type": "Ready", "status": "True", "lastTransitionTime": "2026-11-22T02:54:02.999Z"]]]])
            #expect(patched.body["status"]?["conditions"]?.arrayValue?.first?["lastTransitionTime"] == "2026-11-22T02:54:02Z")
            // Custom resources keep what was sent.
            _ = try await h.post(wnsPath, wasmNodeStatus("n"))
            let custom = try await h.mergePatch(
                "\(wnsPath)/n/status",
                ["status": ["conditions": [["type": "Ready", "status": "True", "lastTransitionTime": "2026-11-22T02:54:02.999Z"]]]])
            #expect(custom.body["status"]?["conditions"]?.arrayValue?.first?["lastTransitionTime"] == "2026-11-22T02:54:02.999Z")
        }
    }

    @Test func eventsNeedTheirRequiredFields() async throws {
        try await Harness.run { (h) async throws in
            let path = "/apis/events.k8s.io/v1/namespaces/default/events"
            var event: JSONValue = [
                "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": ["name": "n.1"],
                "regarding": ["kind": "Node", "name": "n"], "reason": "Installing", "note": "installing",
                "type": "Normal", "action": "Install",
            ]
            let missing = try await h.post(path, event)
            #expect(missing.status == 422)
            let fields = missing.body["details"]?["causes"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []
            #expect(Set(fields) == ["eventTime", "reportingController", "reportingInstance"])
            event["eventTime"] = "2026-11-22T02:54:02.5Z"
            event["reportingController"] = "kwasm.sh/operator"
            event["reportingInstance"] = "kwasm-operator-0"
            let created = try await h.post(path, event)
            #expect(created.status == 201)
            #expect(created.body["eventTime"] == "2026-11-22T02:54:02.500000Z")
            event["metadata"]!["name"] = "n.2"
            event["type"] = "Info"
            #expect(try await h.post(path, event).status == 422)
        }
    }

    @Test func jobTemplateIsImmutable() async throws {
        try await Harness.run { (h) async throws in
            let path = "/apis/batch/v1/namespaces/default/jobs"
            let job: JSONValue = [
                "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "j"],
                "spec": ["backoffLimit": 0, "template": ["spec": ["containers": [["name": "i", "image": "a"]], "restartPolicy": "Never"]]],
            ]
            _ = try await h.post(path, job)
            let changed = try await h.mergePatch(
                "\(path)/j", ["spec": ["template": ["spec": ["containers": [["name": "i", "image": "b"]]]]]])
            #expect(changed.status == 422)
            #expect(changed.body["details"]?["causes"]?.arrayValue?.first?["field"] == "spec.template")
            #expect(try await h.mergePatch("\(path)/j", ["spec": ["activeDeadlineSeconds": 600]]).status == 200)
        }
    }

    @Test func runtimeClassHandlerIsAnImmutableLabel() async throws {
        try await Harness.run { (h) async throws in
            let path = "/apis/node.k8s.io/v1/runtimeclasses"
            let rc: JSONValue = [
                "apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": ["name": "spin"], "handler": "spin",
                "scheduling": ["nodeSelector": ["kwasm.sh/kwasm-provisioned": "true"]],
            ]
            #expect(try await h.post(path, rc).status == 201)
            #expect(try await h.mergePatch("\(path)/spin", ["handler": "wasmtime"]).status == 422)
            var bad = rc
            bad["metadata"]!["name"] = "bad"
            bad["handler"] = "Not_A_Label"
            #expect(try await h.post(path, bad).status == 422)
        }
    }

    @Test func podsStartPendingAndKeepTheirNode() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.post("/api/v1/namespaces/default/pods", pod("p", nodeName: "n1")).body
            #expect(created["status"]?["phase"] == "Pending")
            #expect(try await h.mergePatch("/api/v1/namespaces/default/pods/p", ["spec": ["nodeName": "n2"]]).status == 422)
        }
    }

    @Test func jobLabelsDefaultFromTheTemplate() async throws {
        let api = FakeAPIServer()
        let job: JSONValue = [
            "apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": "j", "namespace": "default"],
            "spec": ["template": ["metadata": ["labels": ["app": "x"]], "spec": ["containers": []]]],
        ]
        let created = try api.create(job)
        #expect(created["metadata"]?["labels"] == ["app": "x"])
    }
}
