import Foundation
import Testing

@testable import KubernetesClient

private func json(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

@Suite struct ModelEncodingTests {
    @Test func absentFieldsAreOmittedNeverNull() throws {
        let node = Node(metadata: ObjectMeta(name: "n1"))
        let text = try json(node)
        #expect(text == #"{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}"#)
        #expect(!text.contains("null"))

        let job = Job(metadata: ObjectMeta(name: "j"), spec: .init(template: PodTemplateSpec(spec: PodSpec(containers: [Container(name: "c")]))))
        let jobText = try json(job)
        #expect(!jobText.contains("null"))
        #expect(jobText.contains(#""containers":[{"name":"c"}]"#))
    }

    @Test func microTimeHasExactlySixFractionalDigits() throws {
        let lease = Lease(
            metadata: ObjectMeta(name: "l"),
            spec: .init(holderIdentity: "a", leaseDurationSeconds: 15, renewTime: MicroTime(Date(timeIntervalSince1970: 1_700_000_000.5))))
        let text = try json(lease)
        #expect(text.contains(#""renewTime":"2023-11-14T22:13:20.500000Z""#))

        let whole = try json(MicroTime(Date(timeIntervalSince1970: 0)))
        #expect(whole == #""1970-01-01T00:00:00.000000Z""#)
        let micro = try json(MicroTime(Date(timeIntervalSince1970: 1_136_214_245.000001)))
        #expect(micro == #""2006-01-02T15:04:05.000001Z""#)
    }

    @Test func timeHasWholeSeconds() throws {
        #expect(try json(Time(Date(timeIntervalSince1970: 1_136_214_245.9))) == #""2006-01-02T15:04:05Z""#)
    }

    @Test(arguments: [
        ("2006-01-02T15:04:05Z", 1_136_214_245.0),
        ("2006-01-02T15:04:05.123456Z", 1_136_214_245.123456),
        ("2006-01-02T15:04:05.5Z", 1_136_214_245.5),
        ("2006-01-02T17:04:05+02:00", 1_136_214_245.0),
        ("2006-01-02T10:04:05-05:00", 1_136_214_245.0),
        ("1969-12-31T23:59:59Z", -1.0),
        ("2024-02-29T00:00:00Z", 1_709_164_800.0),
    ])
    func timesParse(text: String, seconds: Double) throws {
        let time = try JSONDecoder().decode(MicroTime.self, from: Data("\"\(text)\"".utf8))
        #expect(abs(time.date.timeIntervalSince1970 - seconds) < 0.000_001)
    }

    @Test(arguments: ["", "2006-01-02", "2006-13-02T15:04:05Z", "2006-01-02T15:04:05", "2006-01-02T15:04:05.Z", "yesterday"])
    func malformedTimesAreRejected(text: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Time.self, from: Data("\"\(text)\"".utf8)) }
    }

    @Test func microTimeRoundTripsParsedDigits() throws {
        let text = #""2026-11-22T02:54:03.987654Z""#
        let time = try JSONDecoder().decode(MicroTime.self, from: Data(text.utf8))
        #expect(try json(time) == text)
    }

    @Test func nodeDecodesFromServerJSONWithUnknownFields() throws {
        let body = #"""
        {"kind":"Node","apiVersion":"v1","metadata":{"name":"kind-worker","uid":"0f6e","resourceVersion":"812",
         "labels":{"kubernetes.io/arch":"amd64"},"annotations":{"kwasm.sh/kwasm-node":"true"},
         "managedFields":[{"manager":"kubelet"}],"creationTimestamp":"2026-01-01T00:00:00Z"},
         "spec":{"podCIDR":"10.244.1.0/24","taints":[{"key":"node.kubernetes.io/not-ready","effect":"NoSchedule"}],"unschedulable":true,"somethingNew":1},
         "status":{"nodeInfo":{"machineID":"m1","bootID":"b1","architecture":"arm64","containerRuntimeVersion":"containerd://1.7.18",
           "kubeletVersion":"v1.31.0","osImage":"Debian GNU/Linux 12 (bookworm)","kernelVersion":"6.1.0"},
           "conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","lastHeartbeatTime":"2026-01-01T00:00:00Z"}],
           "runtimeHandlers":[{"name":"","features":{"recursiveReadOnlyMounts":true,"userNamespaces":false}},{"name":"spin","features":{}}],
           "images":[{"names":["x"],"sizeBytes":1}]}}
        """#
        let node = try JSONDecoder().decode(Node.self, from: Data(body.utf8))
        #expect(node.metadata.name == "kind-worker")
        #expect(node.metadata.annotations?["kwasm.sh/kwasm-node"] == "true")
        #expect(node.spec?.taints?.first?.effect == "NoSchedule")
        #expect(node.spec?.unschedulable == true)
        #expect(node.status?.nodeInfo?.machineID == "m1")
        #expect(node.status?.nodeInfo?.architecture == "arm64")
        #expect(node.status?.nodeInfo?.containerRuntimeVersion == "containerd://1.7.18")
        #expect(node.status?.runtimeHandlers?.map(\.name) == ["", "spin"])
        #expect(node.status?.runtimeHandlers?.first?.features?.recursiveReadOnlyMounts == true)
        #expect(node.status?.conditions?.first?.type == "Ready")
    }

    @Test func podTerminationMessageDecodes() throws {
        let body = #"""
        {"metadata":{"name":"kwasm-install-n1-abcde","namespace":"kwasm","labels":{"job-name":"kwasm-install-n1"}},
         "spec":{"nodeName":"n1","containers":[{"name":"installer","image":"img"}]},
         "status":{"phase":"Failed","containerStatuses":[{"name":"installer","ready":false,"restartCount":0,
           "state":{"terminated":{"exitCode":2,"reason":"Error","message":"{\"result\":\"failed\"}","finishedAt":"2026-01-01T00:00:00Z"}}}]}}
        """#
        let pod = try JSONDecoder().decode(Pod.self, from: Data(body.utf8))
        let terminated = pod.status?.containerStatuses?.first?.state?.terminated
        #expect(terminated?.exitCode == 2)
        #expect(terminated?.reason == "Error")
        #expect(terminated?.message == #"{"result":"failed"}"#)
        #expect(pod.status?.phase == "Failed")
        #expect(pod.spec?.nodeName == "n1")
    }

    @Test func privilegedInstallerJobEncodesEveryField() throws {
        let job = Job(
            metadata: ObjectMeta(name: "kwasm-install-n1", namespace: "kwasm", labels: ["app.kubernetes.io/managed-by": "kwasm-operator"]),
            spec: .init(
                template: PodTemplateSpec(
                    metadata: ObjectMeta(labels: ["kwasm.sh/operation": "install"]),
                    spec: PodSpec(
                        nodeName: "n1", hostPID: true,
                        containers: [
                            Container(
                                name: "installer", image: "ghcr.io/x/installer:1", imagePullPolicy: "IfNotPresent",
                                command: ["kwasm-node-installer"], args: ["install", "--host-root", "/host"],
                                env: [.fieldRef("NODE_NAME", fieldPath: "spec.nodeName"), EnvVar(name: "KWASM_RUNTIMES", value: "spin")],
                                resources: ResourceRequirements(requests: ["cpu": "50m"], limits: ["memory": "256Mi"]),
                                volumeMounts: [VolumeMount(name: "host", mountPath: "/host")],
                                securityContext: SecurityContext(privileged: true),
                                terminationMessagePolicy: "FallbackToLogsOnError")
                        ],
                        volumes: [.hostPath("host", path: "/", type: "Directory")],
                        tolerations: [.everything], restartPolicy: "Never", serviceAccountName: "kwasm-installer",
                        automountServiceAccountToken: false, priorityClassName: "system-node-critical",
                        imagePullSecrets: [LocalObjectReference(name: "regcred")])),
                backoffLimit: 0, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 3600)
        )
        let value = try JSONValue(encoding: job)
        #expect(value["kind"] == "Job")
        #expect(value["apiVersion"] == "batch/v1")
        let spec = try #require(value["spec"])
        #expect(spec["backoffLimit"] == 0)
        #expect(spec["activeDeadlineSeconds"] == 600)
        #expect(spec["ttlSecondsAfterFinished"] == 3600)
        let pod = try #require(spec["template"]?["spec"])
        #expect(pod["nodeName"] == "n1")
        #expect(pod["hostPID"] == true)
        #expect(pod["automountServiceAccountToken"] == false)
        #expect(pod["tolerations"] == [["operator": "Exists"]])
        #expect(pod["volumes"] == [["name": "host", "hostPath": ["path": "/", "type": "Directory"]]])
        #expect(pod["imagePullSecrets"] == [["name": "regcred"]])
        let container = try #require(pod["containers"]?.arrayValue?.first)
        #expect(container["securityContext"] == ["privileged": true])
        #expect(container["env"]?.arrayValue?.first == ["name": "NODE_NAME", "valueFrom": ["fieldRef": ["fieldPath": "spec.nodeName"]]])
        #expect(container["resources"] == ["requests": ["cpu": "50m"], "limits": ["memory": "256Mi"]])
        // And back.
        let decoded: Job = try value.decode()
        #expect(decoded == job)
    }

    @Test func runtimeClassEncodesHandlerSchedulingAndOverhead() throws {
        let runtimeClass = RuntimeClass(
            metadata: ObjectMeta(name: "spin", labels: ["app.kubernetes.io/managed-by": "kwasm-operator"]), handler: "spin",
            scheduling: .init(nodeSelector: ["kwasm.sh/kwasm-provisioned": "true"]), overhead: .init(podFixed: ["memory": "10Mi"]))
        let text = try json(runtimeClass)
        #expect(
            text
                == #"{"apiVersion":"node.k8s.io/v1","handler":"spin","kind":"RuntimeClass","metadata":{"labels":{"app.kubernetes.io/managed-by":"kwasm-operator"},"name":"spin"},"overhead":{"podFixed":{"memory":"10Mi"}},"scheduling":{"nodeSelector":{"kwasm.sh/kwasm-provisioned":"true"}}}"#
        )
    }

    @Test func eventUsesEventsAPIAndMicroTime() throws {
        let node = Node(metadata: ObjectMeta(name: "n1", uid: "u1"))
        let event = Event(
            metadata: ObjectMeta(generateName: "n1.", namespace: "default"), eventTime: MicroTime(Date(timeIntervalSince1970: 0)),
            series: .init(count: 3, lastObservedTime: MicroTime(Date(timeIntervalSince1970: 1))),
            reportingController: "kwasm.sh/operator", reportingInstance: "pod-1", action: "Install", reason: "InstallFailed",
            regarding: node.objectReference, note: "boom", type: Event.typeWarning)
        let value = try JSONValue(encoding: event)
        #expect(value["apiVersion"] == "events.k8s.io/v1")
        #expect(value["eventTime"] == "1970-01-01T00:00:00.000000Z")
        #expect(value["series"] == ["count": 3, "lastObservedTime": "1970-01-01T00:00:01.000000Z"])
        #expect(value["regarding"] == ["apiVersion": "v1", "kind": "Node", "name": "n1", "uid": "u1"])
    }

    @Test func wasmNodeStatusMatchesContract() throws {
        let node = Node(metadata: ObjectMeta(name: "n1", uid: "u1"))
        var status = WasmNodeStatus(
            metadata: ObjectMeta(name: "n1", ownerReferences: [node.ownerReference()]), spec: .init(nodeName: "n1"))
        status.status = .init(
            phase: .ready,
            conditions: [Condition(type: "Ready", status: Condition.statusTrue, observedGeneration: 1, lastTransitionTime: Time(Date(timeIntervalSince1970: 0)), reason: "Verified", message: "ok")],
            runtimes: [.init(name: "spin", handler: "spin", runtimeType: "io.containerd.spin.v2", version: "0.19.0", sha256: "ab", path: "/opt/kwasm/bin/containerd-shim-spin-v2")],
            runtimeNames: "spin", containerd: .init(version: "1.6.20", distro: "default", configPath: "/etc/containerd/config.toml", configSchema: 2),
            attempts: 1, lastError: .init(code: "ChecksumMismatch", message: "bad", time: Time(Date(timeIntervalSince1970: 0))))
        let value = try JSONValue(encoding: status)
        #expect(value["apiVersion"] == "kwasm.sh/v1alpha1")
        #expect(value["kind"] == "WasmNodeStatus")
        #expect(value["metadata"]?["ownerReferences"] == [["apiVersion": "v1", "kind": "Node", "name": "n1", "uid": "u1"]])
        #expect(value["status"]?["phase"] == "Ready")
        #expect(value["status"]?["conditions"]?.arrayValue?.first?["lastTransitionTime"] == "1970-01-01T00:00:00Z")
        #expect(value["status"]?["containerd"]?["configSchema"] == 2)
        #expect(value["status"]?["lastError"]?["code"] == "ChecksumMismatch")
        #expect(try value.decode(as: WasmNodeStatus.self) == status)
        #expect(WasmNodeStatus.resource.path(name: "n1", subresource: .status) == "/apis/kwasm.sh/v1alpha1/wasmnodestatuses/n1/status")
    }

    @Test func listDecodesNullItemsAndContinueToken() throws {
        let body = #"{"kind":"NodeList","apiVersion":"v1","metadata":{"resourceVersion":"10","continue":"abc","remainingItemCount":5},"items":null}"#
        let list = try JSONDecoder().decode(ObjectList<Node>.self, from: Data(body.utf8))
        #expect(list.items.isEmpty)
        #expect(list.metadata.continueToken == "abc")
        #expect(list.metadata.remainingItemCount == 5)
        #expect(try json(list.metadata) == #"{"continue":"abc","remainingItemCount":5,"resourceVersion":"10"}"#)
    }

    @Test func resourcePaths() {
        #expect(Node.resource.path() == "/api/v1/nodes")
        #expect(Node.resource.path(namespace: "ignored", name: "n1") == "/api/v1/nodes/n1")
        #expect(Pod.resource.path() == "/api/v1/pods")
        #expect(Pod.resource.path(namespace: "kwasm") == "/api/v1/namespaces/kwasm/pods")
        #expect(Job.resource.path(namespace: "kwasm", name: "j", subresource: .status) == "/apis/batch/v1/namespaces/kwasm/jobs/j/status")
        #expect(Lease.resource.path(namespace: "kwasm", name: "kwasm-operator") == "/apis/coordination.k8s.io/v1/namespaces/kwasm/leases/kwasm-operator")
        #expect(RuntimeClass.resource.path(name: "spin") == "/apis/node.k8s.io/v1/runtimeclasses/spin")
        #expect(Pod.resource.path(namespace: "a", name: "x/y") == "/api/v1/namespaces/a/pods/x%2Fy")
    }

    @Test func conditionsKeepTransitionTimeWhenStatusIsUnchanged() {
        let early = Time(Date(timeIntervalSince1970: 0))
        var conditions = [Condition(type: "Ready", status: "True", lastTransitionTime: early, reason: "Verified")]
        let unchanged = conditions.set(Condition(type: "Ready", status: "True", lastTransitionTime: .now(), reason: "Verified"))
        #expect(!unchanged)
        #expect(conditions[type: "Ready"]?.lastTransitionTime == early)
        let changed = conditions.set(Condition(type: "Ready", status: "False", reason: "Failed"))
        #expect(changed)
        #expect(conditions[type: "Ready"]?.lastTransitionTime != early)
        #expect(conditions.count == 1)
    }

    @Test func jsonValueLiteralsBuildMergePatches() throws {
        let patch: JSONValue = ["metadata": ["labels": ["kwasm.sh/kwasm-provisioned": "true", "old": nil]]]
        let text = String(decoding: try JSONEncoder.kubernetes.encode(patch), as: UTF8.self)
        #expect(text == #"{"metadata":{"labels":{"kwasm.sh/kwasm-provisioned":"true","old":null}}}"#)
        let parsed = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"a":1,"b":1.5,"c":true,"d":[null,"x"]}"#.utf8))
        #expect(parsed == ["a": 1, "b": 1.5, "c": true, "d": [nil, "x"]])
    }

    @Test func serverShapedJobDecodesWithNullsAndOptionalReferences() throws {
        // What a real API server returns: nulls in templates, defaulted fields, empty references.
        let body = #"""
        {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j","namespace":"kwasm","uid":"u","resourceVersion":"3","generation":1,
          "creationTimestamp":"2026-01-01T00:00:00Z","labels":{"batch.kubernetes.io/job-name":"j"}},
         "spec":{"parallelism":1,"completions":1,"backoffLimit":0,"selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"u"}},
          "manualSelector":false,"podReplacementPolicy":"TerminatingOrFailed","completionMode":"NonIndexed","suspend":false,
          "template":{"metadata":{"creationTimestamp":null,"labels":{"job-name":"j"}},
           "spec":{"containers":[{"name":"i","image":"img","env":[{"name":"T","valueFrom":{"secretKeyRef":{"key":"token"}}}],
             "resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"FallbackToLogsOnError","imagePullPolicy":"IfNotPresent"}],
            "restartPolicy":"Never","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},
            "imagePullSecrets":[{}],"schedulerName":"default-scheduler","volumes":[{"name":"s","secret":{"defaultMode":420}}]}}},
         "status":{"active":1,"startTime":"2026-01-01T00:00:01Z","ready":0,"uncountedTerminatedPods":{},"terminating":0}}
        """#
        let job = try JSONDecoder().decode(Job.self, from: Data(body.utf8))
        #expect(job.spec?.template.metadata?.creationTimestamp == nil)
        #expect(job.spec?.template.spec?.containers.first?.env?.first?.valueFrom?.secretKeyRef?.name == nil)
        #expect(job.spec?.template.spec?.imagePullSecrets == [LocalObjectReference(name: nil)])
        #expect(job.status?.active == 1)
        #expect(job.spec?.selector?["matchLabels"]?["batch.kubernetes.io/controller-uid"] == "u")
    }
}
