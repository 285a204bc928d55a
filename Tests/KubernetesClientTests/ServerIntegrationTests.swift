import FakeKubernetesAPI
import Foundation
import KubernetesEnvtest
import Testing

@testable import KubernetesClient

/// The client against an API server over real HTTP — the project's fake and a real kube-apiserver + etcd
/// (when `KWASM_TEST_ASSETS` provides one): the semantics the operator relies on, one suite for both.
@Suite struct ServerIntegrationTests {
    private static let retry = RetryPolicy(maxRetries: 3, defaultDelay: .milliseconds(10), maxDelay: .milliseconds(100))

    private func node(_ server: TestServer, _ name: String, labels: [String: String] = [:]) -> Node {
        Node(metadata: ObjectMeta(name: server.name(name), labels: labels.merging([server.label.key: server.label.value]) { a, _ in a }))
    }

    @Test(arguments: TestServerKind.available)
    func createGetListPatchDelete(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind, retry: Self.retry) { server, client in
            let created = try await client.create(node(server, "n1", labels: ["pool": "wasm"]))
            #expect(created.metadata.uid != nil)
            #expect(created.metadata.resourceVersion != nil)
            _ = try await client.create(node(server, "n2"))
            #expect(try await client.get(Node.self, name: server.name("n1")).metadata.labels?["pool"] == "wasm")

            let selected = try await client.list(Node.self, options: ListOptions(labelSelector: "pool=wasm,\(server.labelSelector)"))
            #expect(selected.items.map(\.metadata.name) == [server.name("n1")])
            let byName = try await client.list(Node.self, options: ListOptions(fieldSelector: "metadata.name=\(server.name("n2"))"))
            #expect(byName.items.map(\.metadata.name) == [server.name("n2")])

            let patched = try await client.mergePatch(
                Node.self, name: server.name("n1"), patch: ["metadata": ["labels": ["pool": nil, "kwasm.sh/kwasm-provisioned": "true"]]])
            #expect(patched.metadata.labels == ["kwasm.sh/kwasm-provisioned": "true", server.label.key: server.label.value])

            try await client.delete(Node.self, name: server.name("n2"))
            #expect(try await client.getIfExists(Node.self, name: server.name("n2")) == nil)
            do {
                try await client.delete(Node.self, name: server.name("n2"))
                Issue.record("expected NotFound")
            } catch let error as KubernetesError {
                #expect(error.isNotFound)
            }
        }
    }

    @Test(arguments: TestServerKind.available)
    func alreadyExistsConflictAndInvalidAreTyped(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind, retry: Self.retry) { server, client in
            let name = server.name("spin")
            let first = try await client.create(RuntimeClass(metadata: ObjectMeta(name: name), handler: "spin"))
            do {
                _ = try await client.create(RuntimeClass(metadata: ObjectMeta(name: name), handler: "spin"))
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

    @Test(arguments: TestServerKind.available)
    func statusSubresourceIsWrittenSeparately(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind, retry: Self.retry) { server, client in
            let name = server.name("n1")
            let created = try await client.create(
                WasmNodeStatus(metadata: ObjectMeta(name: name), spec: .init(nodeName: name), status: .init(phase: .ready)))
            #expect(created.status?.phase == nil, "status is ignored on create of a kind with a status subresource")
            var withStatus = created
            withStatus.status = .init(phase: .installing, attempts: 1)
            let afterStatus = try await client.replaceStatus(withStatus)
            #expect(afterStatus.status?.phase == .installing)
            let patched = try await client.patchStatus(WasmNodeStatus.self, name: name, patch: ["status": ["phase": "Ready"]])
            #expect(patched.status?.phase == .ready)
            #expect(patched.status?.attempts == 1)
            #expect(patched.spec?.nodeName == name)
        }
    }

    @Test(arguments: TestServerKind.available)
    func generateNameAndNamespaces(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind, retry: Self.retry) { server, client in
            let event = try await client.create(
                Event(
                    metadata: ObjectMeta(generateName: "p1-"), eventTime: .now(), reportingController: "kwasm.sh/operator",
                    reportingInstance: "i", action: "Install", reason: "Started",
                    regarding: ObjectReference(kind: "Pod", name: "p1", namespace: server.namespace), note: "x", type: Event.typeNormal))
            #expect(event.metadata.name?.hasPrefix("p1-") == true)
            #expect(event.metadata.name?.count == "p1-".count + 5)
            #expect(event.metadata.namespace == server.namespace)
        }
    }

    @Test(arguments: TestServerKind.available)
    func objectsGoOnlyIntoExistingNamespaces(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind, retry: Self.retry) { server, client in
            do {
                _ = try await client.create(
                    Job(metadata: ObjectMeta(name: "j", namespace: server.name("missing")),
                        spec: .init(template: PodTemplateSpec(spec: PodSpec(containers: [Container(name: "i", image: "img")], restartPolicy: "Never")))))
                Issue.record("expected NotFound for a namespace that does not exist")
            } catch let error as KubernetesError {
                #expect(error.isNotFound)
            }
        }
    }

    @Test(arguments: TestServerKind.available)
    func listAllPagesThroughEveryNamespace(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind, retry: Self.retry) { server, client in
            let namespaces = [server.namespace, server.name("second")]
            try await server.createNamespace(namespaces[1])
            for index in 0..<7 {
                _ = try await client.create(
                    Pod(metadata: ObjectMeta(name: "p\(index)", namespace: namespaces[index % 2], labels: [server.label.key: server.label.value]),
                        spec: PodSpec(containers: [Container(name: "c", image: "busybox")])))
            }
            server.fake?.resetRequestLog()
            let all = try await client.listAll(Pod.self, options: ListOptions(labelSelector: server.labelSelector, limit: 2))
            #expect(all.items.count == 7)
            #expect(Set(all.items.map { "\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")" }).count == 7)
            #expect(all.metadata.resourceVersion != nil)
            if let fake = server.fake { #expect(fake.requestCounts(resource: "pods")["list"] == 4) }
            let one = try await client.list(Pod.self, namespace: namespaces[0])
            #expect(one.items.count == 4)
        }
    }

    @Test(arguments: TestServerKind.available)
    func watchFromTheListsResourceVersion(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind, retry: Self.retry) { server, client in
            _ = try await client.create(node(server, "before"))
            let list = try await client.listAll(Node.self, options: ListOptions(labelSelector: server.labelSelector))
            let stream = client.watch(Node.self, options: WatchOptions(
                labelSelector: server.labelSelector, resourceVersion: list.metadata.resourceVersion, allowBookmarks: false, timeoutSeconds: 30))
            let collector = Task {
                var seen: [String] = []
                for try await event in stream {
                    seen.append("\(event.type.rawValue) \(event.object?.metadata.name ?? "")")
                    if event.type == .deleted { break }
                }
                return seen
            }
            let after = server.name("after")
            _ = try await client.create(node(server, "after"))
            _ = try await client.mergePatch(Node.self, name: after, patch: ["metadata": ["labels": ["a": "b"]]])
            try await client.delete(Node.self, name: after)
            let seen = try await collector.value
            #expect(seen == ["ADDED \(after)", "MODIFIED \(after)", "DELETED \(after)"])
        }
    }

    /// Fake only: expiring resource versions on demand needs the fake (a real server compacts every 5 minutes).
    @Test func watchFromAnExpiredResourceVersionReportsGone() async throws {
        try await TestServer.run(.fake, retry: Self.retry) { server, client in
            let api = try #require(server.fake)
            let created = try await client.create(node(server, "n1"))
            _ = try await client.mergePatch(Node.self, name: server.name("n1"), patch: ["metadata": ["labels": ["x": "y"]]])
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

    @Test(arguments: TestServerKind.available)
    func serverSideApplyWithFieldManagers(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind, retry: Self.retry) { server, client in
            let name = server.name("spin")
            let runtimeClass = RuntimeClass(
                metadata: ObjectMeta(name: name, labels: ["app.kubernetes.io/managed-by": "kwasm-operator"]), handler: "spin",
                scheduling: .init(nodeSelector: ["kwasm.sh/kwasm-provisioned": "true"]))
            let applied = try await client.apply(runtimeClass, fieldManager: "kwasm-operator")
            #expect(applied.scheduling?.nodeSelector == ["kwasm.sh/kwasm-provisioned": "true"])
            // Applying the same object again is a no-op.
            let again = try await client.apply(runtimeClass, fieldManager: "kwasm-operator")
            #expect(again.metadata.resourceVersion == applied.metadata.resourceVersion)
            // Another manager setting a field we own (same map key, different value) conflicts…
            var other = RuntimeClass(metadata: ObjectMeta(name: name), handler: "spin")
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

    @Test(arguments: TestServerKind.available)
    func backgroundDeletionCollectsDependents(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind, retry: Self.retry) { server, client in
            let owner = try await client.create(node(server, "n1"))
            let job = Job(
                metadata: ObjectMeta(name: "kwasm-install-n1", ownerReferences: [owner.ownerReference()]),
                spec: .init(template: PodTemplateSpec(spec: PodSpec(containers: [Container(name: "i", image: "img")], restartPolicy: "Never"))))
            _ = try await client.create(job)
            try await client.delete(Node.self, name: server.name("n1"), propagation: .background)
            // The garbage collector works asynchronously (the real one after its discovery sync): poll.
            var remaining = try await client.list(Job.self, namespace: server.namespace).items.count
            for _ in 0..<1500 where remaining > 0 {
                try await Task.sleep(for: .milliseconds(20))
                remaining = try await client.list(Job.self, namespace: server.namespace).items.count
            }
            #expect(remaining == 0)
        }
    }

    /// Fake only: it injects the throttling and server errors.
    @Test func throttlingIsRetriedAndServerErrorsSurface() async throws {
        try await TestServer.run(.fake, retry: Self.retry) { server, client in
            let api = try #require(server.fake)
            api.failNextRequests(2, with: .tooManyRequests(retryAfterSeconds: 0))
            _ = try await client.create(node(server, "n1"))
            #expect(try await client.get(Node.self, name: server.name("n1")).metadata.name == server.name("n1"))
            api.failNextRequests(1, with: .internalError)
            do {
                _ = try await client.get(Node.self, name: server.name("n1"))
                Issue.record("expected InternalError")
            } catch let error as KubernetesError {
                #expect(error.code == 500)
                #expect(error.isRetryable)
            }
        }
    }

    @Test(arguments: TestServerKind.available)
    func aWrongBearerTokenIsUnauthorized(_ kind: TestServerKind) async throws {
        var options = FakeAPIServer.Options()
        options.bearerToken = "good"
        try await TestServer.run(kind, fakeOptions: options, retry: Self.retry) { server, client in
            _ = try await client.create(node(server, "n1"))
            let stranger = try server.makeClient(credentials: .token("wrong"))
            defer { Task { try? await stranger.shutdown() } }
            do {
                _ = try await stranger.get(Node.self, name: server.name("n1"))
                Issue.record("expected Unauthorized")
            } catch let error as KubernetesError {
                #expect(error.isUnauthorized)
            }
        }
    }

    /// Fake only: rotating the server's accepted token at run time.
    @Test func aRotatedBearerTokenIsUnauthorized() async throws {
        var options = FakeAPIServer.Options()
        options.bearerToken = "good"
        try await TestServer.run(.fake, fakeOptions: options, retry: Self.retry) { server, client in
            _ = try await client.create(node(server, "n1"))
            server.fake?.setBearerToken("rotated")
            do {
                _ = try await client.get(Node.self, name: server.name("n1"))
                Issue.record("expected Unauthorized")
            } catch let error as KubernetesError {
                #expect(error.isUnauthorized)
            }
        }
    }

    /// Fake only: client certificates from a CA made here (the real server is reached over TLS with a token).
    @Test(.enabled(if: TestCertificates.opensslAvailable, "openssl CLI not found"))
    func httpsWithClientCertificates() async throws {
        let certificates = try TestCertificates.generate()
        defer { certificates.remove() }
        var options = FakeAPIServer.Options()
        options.tls = FakeAPIServer.TLSFiles(
            certificateChainPath: certificates.directory + "/server.crt", privateKeyPath: certificates.directory + "/server.key",
            clientCAPath: certificates.directory + "/ca.crt")
        let api = FakeAPIServer(options: options)
        _ = try await api.start(host: "127.0.0.1", port: 0)
        let tls = TLSOptions(
            certificateAuthorityPEM: Array(certificates.caPEM.utf8), clientCertificatePEM: Array(certificates.clientCertificatePEM.utf8),
            clientKeyPEM: Array(certificates.clientKeyPEM.utf8))
        let client = try KubernetesClient(configuration: ClientConfiguration(server: api.baseURL, tls: tls))
        #expect(api.baseURL.hasPrefix("https://"))
        _ = try await client.create(Node(metadata: ObjectMeta(name: "n1")))
        #expect(try await client.get(Node.self, name: "n1").metadata.name == "n1")
        try await client.shutdown()
        await api.shutdown()
    }
}

@Suite struct ServerCollectionTests {
    @Test(arguments: TestServerKind.available)
    func deleteAllBySelector(_ kind: TestServerKind) async throws {
        try await TestServer.run(kind) { server, client in
            for base in ["spin", "wasmtime", "other"] {
                let managed = base == "other" ? [:] : ["app.kubernetes.io/managed-by": "kwasm-operator"]
                let labels = managed.merging([server.label.key: server.label.value]) { a, _ in a }
                _ = try await client.create(RuntimeClass(metadata: ObjectMeta(name: server.name(base), labels: labels), handler: base))
            }
            try await client.deleteAll(
                RuntimeClass.self, options: ListOptions(labelSelector: "app.kubernetes.io/managed-by=kwasm-operator,\(server.labelSelector)"))
            let left = try await client.list(RuntimeClass.self, options: ListOptions(labelSelector: server.labelSelector))
            #expect(left.items.compactMap(\.metadata.name) == [server.name("other")])
        }
    }

    /// Fake only: it counts the watches open on the server side.
    @Test func abandoningAWatchClosesItOnTheServer() async throws {
        try await TestServer.run(.fake) { server, client in
            let api = try #require(server.fake)
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
        }
    }
}
