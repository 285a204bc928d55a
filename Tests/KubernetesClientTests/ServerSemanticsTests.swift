import Foundation
import KubernetesEnvtest
import Testing

@testable import KubernetesClient

/// Real-server semantics the fake once got wrong (or that the operator leans on), each checked against
/// both servers: where they disagreed, the fake was changed to do what the real kube-apiserver does.
@Suite struct ServerSemanticsTests {
    private func labels(_ server: TestServer) -> [String: String] { [server.label.key: server.label.value] }

    private func job(_ name: String, owner: Node? = nil) -> Job {
        Job(
            metadata: ObjectMeta(name: name, ownerReferences: owner.map { [$0.ownerReference(blockOwnerDeletion: true)] }),
            spec: .init(template: PodTemplateSpec(spec: PodSpec(containers: [Container(name: "i", image: "img")], restartPolicy: "Never"))))
    }

    /// Found: the fake gave every object a generation; the real server keeps one only for kinds whose
    /// strategy maintains it (custom resources, Jobs), not for Nodes, Leases, RuntimeClasses, ….
    @Test(arguments: TestServerKind.available)
    func onlyCustomResourcesAndJobsCarryAGeneration(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind) { server, client in
            let node = try await client.create(Node(metadata: ObjectMeta(name: server.name("n"), labels: labels(server))))
            #expect(node.metadata.generation == nil)
            let runtimeClass = try await client.create(RuntimeClass(metadata: ObjectMeta(name: server.name("rc")), handler: "spin"))
            #expect(runtimeClass.metadata.generation == nil)
            #expect(try await client.create(job("j")).metadata.generation == 1)

            let name = server.name("w")
            _ = try await client.create(WasmNodeStatus(metadata: ObjectMeta(name: name), spec: .init(nodeName: name)))
            let labelled = try await client.mergePatch(WasmNodeStatus.self, name: name, patch: ["metadata": ["labels": ["a": "b"]]])
            #expect(labelled.metadata.generation == 1, "metadata changes do not bump the generation")
            let statusOnly = try await client.patchStatus(WasmNodeStatus.self, name: name, patch: ["status": ["phase": "Ready"]])
            #expect(statusOnly.metadata.generation == 1, "status changes do not bump the generation")
            let spec = try await client.mergePatch(WasmNodeStatus.self, name: name, patch: ["spec": ["nodeName": "other"]])
            #expect(spec.metadata.generation == 2)
        }
    }

    /// Found: the fake dropped the status of a Node created over HTTP; the real server keeps it (the
    /// kubelet registers its Node with its status in one request).
    @Test(arguments: TestServerKind.available)
    func aNodeIsRegisteredWithItsStatus(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind) { server, client in
            let status = Node.Status(nodeInfo: .init(bootID: "boot-1", containerRuntimeVersion: "containerd://1.6.20"))
            let created = try await client.create(Node(metadata: ObjectMeta(name: server.name("n"), labels: labels(server)), status: status))
            #expect(created.status?.nodeInfo?.bootID == "boot-1")
            #expect(try await client.get(Node.self, name: server.name("n")).status?.nodeInfo?.containerRuntimeVersion == "containerd://1.6.20")
        }
    }

    /// Found: the fake answered 400 BadRequest; the real server answers a bare 500 from its storage layer.
    @Test(arguments: TestServerKind.available)
    func aResourceVersionOnCreateIsRefused(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind) { server, client in
            do {
                _ = try await client.create(RuntimeClass(metadata: ObjectMeta(name: server.name("rc"), resourceVersion: "5"), handler: "spin"))
                Issue.record("expected an error")
            } catch let error as KubernetesError {
                #expect(error.code == 500)
                #expect(error.message.contains("resourceVersion should not be set"))
            }
        }
    }

    /// Found: the fake refused every PUT without a resourceVersion; the real server refuses it only for kinds
    /// that require one (custom resources, RuntimeClasses) and overwrites other built-ins unconditionally.
    @Test(arguments: TestServerKind.available)
    func aReplaceWithoutResourceVersionDependsOnTheKind(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind) { server, client in
            _ = try await client.create(Node(metadata: ObjectMeta(name: server.name("n"), labels: labels(server))))
            let replaced = try await client.replace(Node(metadata: ObjectMeta(name: server.name("n"), labels: ["x": "y"])))
            #expect(replaced.metadata.labels == ["x": "y"])
            _ = try await client.create(RuntimeClass(metadata: ObjectMeta(name: server.name("rc")), handler: "spin"))
            do {
                _ = try await client.replace(RuntimeClass(metadata: ObjectMeta(name: server.name("rc")), handler: "spin"))
                Issue.record("expected Invalid")
            } catch let error as KubernetesError {
                #expect(error.isInvalid)
                #expect(error.causes.contains { $0.field == "metadata.resourceVersion" })
            }
        }
    }

    /// Found: the fake accepted any generateName; the real server requires a prefix that some suffix turns
    /// into a valid name (so "n1." is refused, "n1-" is fine).
    @Test(arguments: TestServerKind.available)
    func aGenerateNamePrefixMustBeAbleToMakeAValidName(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind) { server, client in
            do {
                _ = try await client.create(RuntimeClass(metadata: ObjectMeta(generateName: "\(server.id)."), handler: "spin"))
                Issue.record("expected Invalid")
            } catch let error as KubernetesError {
                #expect(error.isInvalid)
                #expect(error.causes.contains { $0.field == "metadata.generateName" })
            }
            let made = try await client.create(RuntimeClass(metadata: ObjectMeta(generateName: "\(server.id)-"), handler: "spin"))
            #expect(made.metadata.name?.hasPrefix("\(server.id)-") == true)
        }
    }

    /// Found: the fake stored an events.k8s.io Event about a Node in any namespace; the real server keeps
    /// events about cluster-scoped objects in `default` (or `kube-system`).
    @Test(arguments: TestServerKind.available)
    func eventsAboutANodeLiveInTheDefaultNamespace(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind) { server, client in
            func event(in namespace: String) -> Event {
                Event(
                    metadata: ObjectMeta(name: server.name("n1.e"), namespace: namespace), eventTime: .now(),
                    reportingController: "kwasm.sh/operator", reportingInstance: "i", action: "Install", reason: "Started",
                    regarding: ObjectReference(kind: "Node", name: server.name("n1")), note: "x", type: Event.typeNormal)
            }
            do {
                _ = try await client.create(event(in: server.namespace))
                Issue.record("expected Invalid")
            } catch let error as KubernetesError {
                #expect(error.isInvalid)
                #expect(error.causes.contains { $0.field == "involvedObject.namespace" })
            }
            let stored = try await client.create(event(in: "default"))
            #expect(stored.metadata.namespace == "default")
            try await client.delete(Event.self, name: server.name("n1.e"), namespace: "default")
        }
    }

    /// Found: the fake's paginated lists lacked `remainingItemCount`, which the real server sets when no
    /// selector filters the list.
    @Test(arguments: TestServerKind.available)
    func aPageSaysHowManyItemsRemain(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind) { server, client in
            for index in 0..<5 {
                _ = try await client.create(Pod(
                    metadata: ObjectMeta(name: "p\(index)", labels: labels(server)), spec: PodSpec(containers: [Container(name: "c", image: "busybox")])))
            }
            let page = try await client.list(Pod.self, namespace: server.namespace, options: ListOptions(limit: 2))
            #expect(page.items.count == 2)
            #expect(page.metadata.continueToken?.isEmpty == false)
            #expect(page.metadata.remainingItemCount == 3)
            let selected = try await client.list(Pod.self, namespace: server.namespace, options: ListOptions(labelSelector: server.labelSelector, limit: 2))
            #expect(selected.metadata.continueToken?.isEmpty == false)
            #expect(selected.metadata.remainingItemCount == nil, "not counted when a selector filters")
        }
    }

    @Test(arguments: TestServerKind.available)
    func aFinalizerHoldsADeletedObjectUntilItIsRemoved(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind) { server, client in
            let name = server.name("rc")
            _ = try await client.create(RuntimeClass(metadata: ObjectMeta(name: name, finalizers: ["kwasm.sh/test"]), handler: "spin"))
            try await client.delete(RuntimeClass.self, name: name)
            let deleting = try await client.get(RuntimeClass.self, name: name)
            #expect(deleting.metadata.deletionTimestamp != nil)
            #expect(deleting.metadata.finalizers == ["kwasm.sh/test"])
            _ = try await client.mergePatch(RuntimeClass.self, name: name, patch: ["metadata": ["finalizers": nil]])
            #expect(try await client.getIfExists(RuntimeClass.self, name: name) == nil)
        }
    }

    /// The garbage collector works asynchronously on the real server: poll for the outcome.
    @Test(arguments: TestServerKind.available)
    func foregroundDeletionRemovesDependentsBeforeTheOwner(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind) { server, client in
            let owner = try await client.create(Node(metadata: ObjectMeta(name: server.name("n"), labels: labels(server))))
            _ = try await client.create(job("j", owner: owner))
            try await client.delete(Node.self, name: server.name("n"), propagation: .foreground)
            var ownerGone = false
            for _ in 0..<1500 where !ownerGone {
                ownerGone = try await client.getIfExists(Node.self, name: server.name("n")) == nil
                if !ownerGone { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(ownerGone)
            #expect(try await client.getIfExists(Job.self, name: "j") == nil, "the dependent went first")
        }
    }

    @Test(arguments: TestServerKind.available)
    func orphanDeletionKeepsDependentsWithoutTheirOwnerReference(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind) { server, client in
            let owner = try await client.create(Node(metadata: ObjectMeta(name: server.name("n"), labels: labels(server))))
            _ = try await client.create(job("j", owner: owner))
            try await client.delete(Node.self, name: server.name("n"), propagation: .orphan)
            // The owner goes once its dependents no longer name it (the `orphan` finalizer).
            var ownerGone = false
            for _ in 0..<1500 where !ownerGone {
                ownerGone = try await client.getIfExists(Node.self, name: server.name("n")) == nil
                if !ownerGone { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(ownerGone)
            let dependent = try await client.get(Job.self, name: "j")
            #expect((dependent.metadata.ownerReferences ?? []).isEmpty)
        }
    }

    @Test(arguments: TestServerKind.available)
    func leaseTimesKeepMicroseconds(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind) { server, client in
            let instant = Date(timeIntervalSince1970: 1_800_000_000.123456)
            let lease = try await client.create(Lease(
                metadata: ObjectMeta(name: "l"),
                spec: .init(holderIdentity: "a", leaseDurationSeconds: 15, acquireTime: MicroTime(instant), renewTime: MicroTime(instant))))
            let read = try await client.get(Lease.self, name: "l")
            #expect(read.spec?.renewTime == lease.spec?.renewTime)
            let text = read.spec?.renewTime?.description ?? ""
            #expect(text.hasPrefix("2027-01-15T08:00:00.12345") && text.hasSuffix("Z") && text.count == "2027-01-15T08:00:00.123456Z".count)
        }
    }

    @Test(arguments: TestServerKind.available)
    func aSelectedWatchSeesObjectsEnterAndLeaveTheSelection(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind) { server, client in
            let selector = "pool=wasm,\(server.labelSelector)"
            let list = try await client.list(Node.self, options: ListOptions(labelSelector: selector))
            let stream = client.watch(Node.self, options: WatchOptions(
                labelSelector: selector, resourceVersion: list.metadata.resourceVersion, allowBookmarks: false, timeoutSeconds: 30))
            let collector = Task {
                var seen: [String] = []
                for try await event in stream where event.type != .bookmark {
                    seen.append("\(event.type.rawValue) \(event.object?.metadata.labels?["pool"] ?? "")")
                    if seen.count == 3 { break }
                }
                return seen
            }
            let name = server.name("n")
            _ = try await client.create(Node(metadata: ObjectMeta(name: name, labels: labels(server).merging(["pool": "wasm"]) { a, _ in a })))
            _ = try await client.mergePatch(Node.self, name: name, patch: ["metadata": ["labels": ["pool": "other"]]])
            _ = try await client.mergePatch(Node.self, name: name, patch: ["metadata": ["labels": ["pool": "wasm"]]])
            let seen = try await collector.value
            // Found: the fake sent the object as changed; the real watch cache sends its last matching state.
            #expect(seen == ["ADDED wasm", "DELETED wasm", "ADDED wasm"])
        }
    }
}
