import FakeKubernetesAPI
import Foundation
import Testing

@testable import KubernetesClient

/// The client against the project's fake API server over real HTTP: the semantics the operator relies on.
@Suite struct FakeServerIntegrationTests {
    private func withFake(
        options: FakeAPIServer.Options = FakeAPIServer.Options(), credentials: Credentials = .none,
        tls: TLSOptions = TLSOptions(), body: (KubernetesClient, FakeAPIServer) async throws -> Void
    ) async throws {
        let api = FakeAPIServer(options: options)
        _ = try await api.start(host: "127.0.0.1", port: 0)
        let client = try KubernetesClient(
            configuration: ClientConfiguration(
                server: api.baseURL, tls: tls, credentials: credentials, defaultNamespace: "kwasm",
                retry: RetryPolicy(maxRetries: 3, defaultDelay: .milliseconds(10), maxDelay: .milliseconds(100))))
        do {
            try await body(client, api)
        } catch {
            try? await client.shutdown()
            await api.shutdown()
            throw error
        }
        try await client.shutdown()
        await api.shutdown()
    }

    private func node(_ name: String, labels: [String: String]? = nil) -> Node {
        Node(metadata: ObjectMeta(name: name, labels: labels))
    }

    @Test func createGetListPatchDelete() async throws {
        try await withFake { client, _ in
            let created = try await client.create(node("n1", labels: ["pool": "wasm"]))
            #expect(created.metadata.uid != nil)
            #expect(created.metadata.resourceVersion != nil)
            _ = try await client.create(node("n2"))
            #expect(try await client.get(Node.self, name: "n1").metadata.labels == ["pool": "wasm"])

            let selected = try await client.list(Node.self, options: ListOptions(labelSelector: "pool=wasm"))
            #expect(selected.items.map(\.metadata.name) == ["n1"])
            let byName = try await client.list(Node.self, options: ListOptions(fieldSelector: "metadata.name=n2"))
            #expect(byName.items.map(\.metadata.name) == ["n2"])

            let patched = try await client.mergePatch(
                Node.self, name: "n1", patch: ["metadata": ["labels": ["pool": nil, "kwasm.sh/kwasm-provisioned": "true"]]])
            #expect(patched.metadata.labels == ["kwasm.sh/kwasm-provisioned": "true"])

            try await client.delete(Node.self, name: "n2")
            #expect(try await client.getIfExists(Node.self, name: "n2") == nil)
            do {
                try await client.delete(Node.self, name: "n2")
                Issue.record("expected NotFound")
            } catch let error as KubernetesError {
                #expect(error.isNotFound)
            }
        }
    }

    @Test func alreadyExistsConflictAndInvalidAreTyped() async throws {
        try await withFake { client, _ in
            let first = try await client.create(RuntimeClass(metadata: ObjectMeta(name: "spin"), handler: "spin"))
            do {
                _ = try await client.create(RuntimeClass(metadata: ObjectMeta(name: "spin"), handler: "spin"))
                Issue.record("expected AlreadyExists")
            } catch let error as KubernetesError {
                #expect(error.isAlreadyExists)
                #expect(error.code == 409)
            }
            var updated = first
            updated.metadata.labels = ["app.kubernetes.io/managed-by": "kwasm-operator"]
            let replaced = try await client.replace(updated)
            #expect(replaced.metadata.resourceVersion != first.metadata.resourceVersion)
            // Replacing again from the stale copy loses the optimistic-concurrency race.
            do {
                _ = try await client.replace(updated)
                Issue.record("expected Conflict")
            } catch let error as KubernetesError {
                #expect(error.isConflict)
            }
            do {
                _ = try await client.create(RuntimeClass(metadata: ObjectMeta(name: "Not_A_DNS_Name"), handler: "x"))
                Issue.record("expected Invalid")
            } catch let error as KubernetesError {
                #expect(error.isInvalid)
                #expect(error.causes.contains { $0.field == "metadata.name" })
            }
        }
    }

    @Test func statusSubresourceIsWrittenSeparately() async throws {
        try await withFake { client, _ in
            let created = try await client.create(
                WasmNodeStatus(metadata: ObjectMeta(name: "n1"), spec: .init(nodeName: "n1"), status: .init(phase: .ready)))
            #expect(created.status?.phase == nil, "status is ignored on create of a kind with a status subresource")
            var withStatus = created
            withStatus.status = .init(phase: .installing, attempts: 1)
            let afterStatus = try await client.replaceStatus(withStatus)
            #expect(afterStatus.status?.phase == .installing)
            let patched = try await client.patchStatus(WasmNodeStatus.self, name: "n1", patch: ["status": ["phase": "Ready"]])
            #expect(patched.status?.phase == .ready)
            #expect(patched.status?.attempts == 1)
            #expect(patched.spec?.nodeName == "n1")
        }
    }

    @Test func generateNameAndNamespaces() async throws {
        try await withFake { client, _ in
            let event = try await client.create(
                Event(
                    metadata: ObjectMeta(generateName: "n1."), eventTime: .now(), reportingController: "kwasm.sh/operator",
                    reportingInstance: "i", action: "Install", reason: "Started", regarding: ObjectReference(kind: "Node", name: "n1"),
                    note: "x", type: Event.typeNormal))
            #expect(event.metadata.name?.hasPrefix("n1.") == true)
            #expect(event.metadata.namespace == "kwasm")
        }
    }

    @Test func listAllPagesThroughEveryNamespace() async throws {
        try await withFake { client, api in
            for index in 0..<7 {
                let namespace = index % 2 == 0 ? "default" : "kube-system"
                _ = try await client.create(
                    Pod(metadata: ObjectMeta(name: "p\(index)", namespace: namespace, labels: ["app": "x"]),
                        spec: PodSpec(containers: [Container(name: "c", image: "busybox")])))
            }
            api.resetRequestLog()
            let all = try await client.listAll(Pod.self, options: ListOptions(labelSelector: "app=x", limit: 2))
            #expect(all.items.count == 7)
            #expect(Set(all.items.compactMap(\.metadata.name)).count == 7)
            #expect(all.metadata.resourceVersion != nil)
            #expect(api.requestCounts(resource: "pods")["list"] == 4)
            let one = try await client.list(Pod.self, namespace: "default")
            #expect(one.items.count == 4)
        }
    }

    @Test func watchFromTheListsResourceVersion() async throws {
        try await withFake { client, _ in
            _ = try await client.create(node("before"))
            let list = try await client.listAll(Node.self)
            let stream = client.watch(Node.self, options: WatchOptions(resourceVersion: list.metadata.resourceVersion, allowBookmarks: false, timeoutSeconds: 30))
            let collector = Task {
                var seen: [String] = []
                for try await event in stream {
                    seen.append("\(event.type.rawValue) \(event.object?.metadata.name ?? "")")
                    if event.type == .deleted { break }
                }
                return seen
            }
            _ = try await client.create(node("after"))
            _ = try await client.mergePatch(Node.self, name: "after", patch: ["metadata": ["labels": ["a": "b"]]])
            try await client.delete(Node.self, name: "after")
            let seen = try await collector.value
            #expect(seen == ["ADDED after", "MODIFIED after", "DELETED after"])
        }
    }

    @Test func watchFromAnExpiredResourceVersionReportsGone() async throws {
        try await withFake { client, api in
            let created = try await client.create(node("n1"))
            _ = try await client.mergePatch(Node.self, name: "n1", patch: ["metadata": ["labels": ["x": "y"]]])
            api.expireResourceVersions()
            var gone = false
            do {
                for try await event in client.watch(Node.self, options: WatchOptions(resourceVersion: created.metadata.resourceVersion, timeoutSeconds: 5)) {
                    if case .error(let status) = event {
                        gone = KubernetesError(status: status).isGone
                        break
                    }
                }
            } catch let error as KubernetesError {
                gone = error.isGone
            }
            #expect(gone)
        }
    }

    @Test func serverSideApplyWithFieldManagers() async throws {
        try await withFake { client, _ in
            let runtimeClass = RuntimeClass(
                metadata: ObjectMeta(name: "spin", labels: ["app.kubernetes.io/managed-by": "kwasm-operator"]), handler: "spin",
                scheduling: .init(nodeSelector: ["kwasm.sh/kwasm-provisioned": "true"]))
            let applied = try await client.apply(runtimeClass, fieldManager: "kwasm-operator")
            #expect(applied.scheduling?.nodeSelector == ["kwasm.sh/kwasm-provisioned": "true"])
            // Applying the same object again is a no-op.
            let again = try await client.apply(runtimeClass, fieldManager: "kwasm-operator")
            #expect(again.metadata.resourceVersion == applied.metadata.resourceVersion)
            // Another manager setting a field we own (same map key, different value) conflicts…
            var other = RuntimeClass(metadata: ObjectMeta(name: "spin"), handler: "spin")
            other.scheduling = .init(nodeSelector: ["kwasm.sh/kwasm-provisioned": "false"])
            do {
                _ = try await client.apply(other, fieldManager: "other-tool")
                Issue.record("expected a field-manager Conflict")
            } catch let error as KubernetesError {
                #expect(error.isConflict)
            }
            // …unless it forces; keys of a map are owned one by one, so our label stays.
            let forced = try await client.apply(other, fieldManager: "other-tool", force: true)
            #expect(forced.scheduling?.nodeSelector == ["kwasm.sh/kwasm-provisioned": "false"])
            #expect(forced.metadata.labels == ["app.kubernetes.io/managed-by": "kwasm-operator"])
        }
    }

    @Test func backgroundDeletionCollectsDependents() async throws {
        try await withFake { client, _ in
            let owner = try await client.create(node("n1"))
            let job = Job(
                metadata: ObjectMeta(name: "kwasm-install-n1", ownerReferences: [owner.ownerReference()]),
                spec: .init(template: PodTemplateSpec(spec: PodSpec(containers: [Container(name: "i", image: "img")], restartPolicy: "Never"))))
            _ = try await client.create(job)
            try await client.delete(Node.self, name: "n1", propagation: .background)
            var remaining = try await client.list(Job.self, namespace: "kwasm").items.count
            for _ in 0..<50 where remaining > 0 {
                try await Task.sleep(for: .milliseconds(20))
                remaining = try await client.list(Job.self, namespace: "kwasm").items.count
            }
            #expect(remaining == 0)
        }
    }

    @Test func throttlingIsRetriedAndServerErrorsSurface() async throws {
        try await withFake { client, api in
            api.failNextRequests(2, with: .tooManyRequests(retryAfterSeconds: 0))
            _ = try await client.create(node("n1"))
            #expect(try await client.get(Node.self, name: "n1").metadata.name == "n1")
            api.failNextRequests(1, with: .internalError)
            do {
                _ = try await client.get(Node.self, name: "n1")
                Issue.record("expected InternalError")
            } catch let error as KubernetesError {
                #expect(error.code == 500)
                #expect(error.isRetryable)
            }
        }
    }

    @Test func bearerTokenAuthentication() async throws {
        var options = FakeAPIServer.Options()
        options.bearerToken = "good"
        try await withFake(options: options, credentials: .token("good")) { client, api in
            _ = try await client.create(node("n1"))
            api.setBearerToken("rotated")
            do {
                _ = try await client.get(Node.self, name: "n1")
                Issue.record("expected Unauthorized")
            } catch let error as KubernetesError {
                #expect(error.isUnauthorized)
            }
        }
    }

    @Test(.enabled(if: TestCertificates.opensslAvailable, "openssl CLI not found"))
    func httpsWithClientCertificates() async throws {
        let certificates = try TestCertificates.generate()
        defer { certificates.remove() }
        var options = FakeAPIServer.Options()
        options.tls = FakeAPIServer.TLSFiles(
            certificateChainPath: certificates.directory + "/server.crt", privateKeyPath: certificates.directory + "/server.key",
            clientCAPath: certificates.directory + "/ca.crt")
        let tls = TLSOptions(
            certificateAuthorityPEM: Array(certificates.caPEM.utf8), clientCertificatePEM: Array(certificates.clientCertificatePEM.utf8),
            clientKeyPEM: Array(certificates.clientKeyPEM.utf8))
        try await withFake(options: options, tls: tls) { client, api in
            #expect(api.baseURL.hasPrefix("https://"))
            _ = try await client.create(node("n1"))
            #expect(try await client.get(Node.self, name: "n1").metadata.name == "n1")
        }
    }
}

@Suite struct FakeServerCollectionTests {
    @Test func deleteAllBySelector() async throws {
        let api = FakeAPIServer()
        _ = try await api.start(host: "127.0.0.1", port: 0)
        let client = try KubernetesClient(configuration: ClientConfiguration(server: api.baseURL))
        defer { Task { await api.shutdown() } }
        for name in ["spin", "wasmtime", "other"] {
            let labels = name == "other" ? ["app": "x"] : ["app.kubernetes.io/managed-by": "kwasm-operator"]
            _ = try await client.create(RuntimeClass(metadata: ObjectMeta(name: name, labels: labels), handler: name))
        }
        try await client.deleteAll(RuntimeClass.self, options: ListOptions(labelSelector: "app.kubernetes.io/managed-by=kwasm-operator"))
        #expect(try await client.list(RuntimeClass.self).items.compactMap(\.metadata.name) == ["other"])
        try await client.shutdown()
    }

    @Test func abandoningAWatchClosesItOnTheServer() async throws {
        let api = FakeAPIServer()
        _ = try await api.start(host: "127.0.0.1", port: 0)
        let client = try KubernetesClient(configuration: ClientConfiguration(server: api.baseURL))
        defer { Task { await api.shutdown() } }
        _ = try await client.create(Node(metadata: ObjectMeta(name: "n1")))
        for try await event in client.watch(Node.self, options: WatchOptions(timeoutSeconds: 60)) {
            #expect(event.object?.metadata.name == "n1")
            break
        }
        // A cancelled consumer task ends its watch too.
        let consumer = Task {
            for try await _ in client.watch(Node.self, options: WatchOptions(resourceVersion: "0", timeoutSeconds: 60)) {}
        }
        try await Task.sleep(for: .milliseconds(200))
        consumer.cancel()
        _ = await consumer.result
        var open = api.openWatchCount
        for _ in 0..<100 where open > 0 {
            try await Task.sleep(for: .milliseconds(20))
            open = api.openWatchCount
        }
        #expect(open == 0)
        try await client.shutdown()
    }
}
