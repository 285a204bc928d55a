import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import KubernetesClient

/// The client against a scripted plain-HTTP server: URLs, verbs, bodies, content types, retries.
@Suite struct ClientRequestTests {
    typealias Response = TestHTTPServer.Response

    private func withServer(
        credentials: Credentials = .token("secret"), retry: RetryPolicy = RetryPolicy(maxRetries: 3, defaultDelay: .milliseconds(1)),
        observer: RequestObserver? = nil,
        handler: @escaping TestHTTPServer.Handler, body: (KubernetesClient, TestHTTPServer) async throws -> Void
    ) async throws {
        let server = try await TestHTTPServer(handler: handler)
        let configuration = ClientConfiguration(
            server: "http://127.0.0.1:\(server.port)", credentials: credentials, defaultNamespace: "kwasm", retry: retry)
        let client = try KubernetesClient(configuration: configuration, observer: observer)
        do {
            try await body(client, server)
        } catch {
            try? await client.shutdown()
            await server.shutdown()
            throw error
        }
        try await client.shutdown()
        await server.shutdown()
    }

    private static let node = #"{"metadata":{"name":"n1","resourceVersion":"7","labels":{"a":"b"}}}"#

    @Test func getSendsBearerTokenAndDecodes() async throws {
        try await withServer(handler: { _ in Response(body: Self.node) }) { client, server in
            let node = try await client.get(Node.self, name: "n1")
            #expect(node.metadata.resourceVersion == "7")
            #expect(node.kind == "Node")
            let request = try #require(server.requests.first)
            #expect(request.method == "GET")
            #expect(request.uri == "/api/v1/nodes/n1")
            #expect(request.header("Authorization") == "Bearer secret")
            #expect(request.header("Accept") == "application/json")
        }
    }

    @Test func notFoundIsATypedErrorAndGetIfExistsReturnsNil() async throws {
        let status = #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"jobs.batch \"x\" not found","reason":"NotFound","code":404}"#
        try await withServer(handler: { _ in Response(status: 404, body: status) }) { client, server in
            do {
                _ = try await client.get(Job.self, name: "x")
                Issue.record("expected NotFound")
            } catch let error as KubernetesError {
                #expect(error.isNotFound)
                #expect(error.message == #"jobs.batch "x" not found"#)
            }
            #expect(try await client.getIfExists(Job.self, name: "x", namespace: "other") == nil)
            #expect(server.requests.map(\.uri) == ["/apis/batch/v1/namespaces/kwasm/jobs/x", "/apis/batch/v1/namespaces/other/jobs/x"])
        }
    }

    @Test func listEncodesSelectorsAndPagination() async throws {
        try await withServer(handler: { _ in Response(body: #"{"metadata":{"resourceVersion":"9"},"items":[\#(Self.node)]}"#) }) { client, server in
            let list = try await client.list(
                Node.self,
                options: ListOptions(
                    labelSelector: LabelSelector.all("kwasm.sh/kwasm-node=true", LabelSelector.notExists("x")),
                    fieldSelector: FieldSelector.equals("metadata.name", "n1"), limit: 50, continueToken: "tok en"))
            #expect(list.items.map(\.metadata.name) == ["n1"])
            #expect(list.items.first?.apiVersion == "v1")
            #expect(
                server.requests.first?.uri
                    == "/api/v1/nodes?labelSelector=kwasm.sh%2Fkwasm-node%3Dtrue%2C%21x&fieldSelector=metadata.name%3Dn1&limit=50&continue=tok%20en")
        }
    }

    @Test func listAllFollowsContinueTokens() async throws {
        let pages = [
            #"{"metadata":{"resourceVersion":"100","continue":"p2"},"items":[{"metadata":{"name":"a","namespace":"x"}}]}"#,
            #"{"metadata":{"resourceVersion":"100","continue":"p3"},"items":[{"metadata":{"name":"b","namespace":"y"}}]}"#,
            #"{"metadata":{"resourceVersion":"100"},"items":[{"metadata":{"name":"c","namespace":"x"}}]}"#,
        ]
        let counter = NIOLockedValueBox(0)
        try await withServer(handler: { _ in
            let index = counter.withLockedValue { value in defer { value += 1 }; return value }
            return Response(body: pages[min(index, 2)])
        }) { client, server in
            let list = try await client.listAll(Pod.self, options: ListOptions(labelSelector: "app=x", limit: 1))
            #expect(list.items.map(\.metadata.name) == ["a", "b", "c"])
            #expect(list.metadata.resourceVersion == "100")
            #expect(list.metadata.continueToken == nil)
            #expect(server.requests.map(\.uri) == [
                "/api/v1/pods?labelSelector=app%3Dx&limit=1",
                "/api/v1/pods?labelSelector=app%3Dx&limit=1&continue=p2",
                "/api/v1/pods?labelSelector=app%3Dx&limit=1&continue=p3",
            ])
        }
    }

    @Test func createPostsCompleteTypeMetaAndNoNulls() async throws {
        try await withServer(handler: { request in Response(status: 201, body: String(decoding: request.body, as: UTF8.self)) }) { client, server in
            var runtimeClass = RuntimeClass(metadata: ObjectMeta(name: "spin"), handler: "spin")
            runtimeClass.apiVersion = nil
            runtimeClass.kind = nil
            let created = try await client.create(runtimeClass)
            #expect(created.handler == "spin")
            let request = try #require(server.requests.first)
            #expect(request.method == "POST")
            #expect(request.uri == "/apis/node.k8s.io/v1/runtimeclasses")
            #expect(request.header("Content-Type") == "application/json")
            let body = String(decoding: request.body, as: UTF8.self)
            #expect(body == #"{"apiVersion":"node.k8s.io/v1","handler":"spin","kind":"RuntimeClass","metadata":{"name":"spin"}}"#)
        }
    }

    @Test func createUsesTheObjectsNamespaceThenTheDefault() async throws {
        try await withServer(handler: { request in Response(status: 201, body: String(decoding: request.body, as: UTF8.self)) }) { client, server in
            _ = try await client.create(Lease(metadata: ObjectMeta(name: "l", namespace: "ns1")))
            _ = try await client.create(Lease(metadata: ObjectMeta(generateName: "l-")))
            #expect(server.requests.map(\.uri) == [
                "/apis/coordination.k8s.io/v1/namespaces/ns1/leases", "/apis/coordination.k8s.io/v1/namespaces/kwasm/leases",
            ])
        }
    }

    @Test func replaceAndReplaceStatusPut() async throws {
        try await withServer(handler: { request in Response(body: String(decoding: request.body, as: UTF8.self)) }) { client, server in
            let status = WasmNodeStatus(metadata: ObjectMeta(name: "n1", resourceVersion: "5"), spec: .init(nodeName: "n1"), status: .init(phase: .ready))
            _ = try await client.replace(status)
            _ = try await client.replaceStatus(status)
            #expect(server.requests.map(\.method) == ["PUT", "PUT"])
            #expect(server.requests.map(\.uri) == ["/apis/kwasm.sh/v1alpha1/wasmnodestatuses/n1", "/apis/kwasm.sh/v1alpha1/wasmnodestatuses/n1/status"])
            #expect(String(decoding: server.requests[0].body, as: UTF8.self).contains(#""resourceVersion":"5""#))
        }
    }

    @Test func mergePatchAndStatusPatch() async throws {
        try await withServer(handler: { _ in Response(body: Self.node) }) { client, server in
            _ = try await client.mergePatch(Node.self, name: "n1", patch: ["metadata": ["labels": ["kwasm.sh/kwasm-provisioned": nil]]])
            _ = try await client.patchStatus(Node.self, name: "n1", patch: ["status": ["phase": "x"]])
            let requests = server.requests
            #expect(requests.map(\.method) == ["PATCH", "PATCH"])
            #expect(requests.map(\.uri) == ["/api/v1/nodes/n1", "/api/v1/nodes/n1/status"])
            #expect(requests[0].header("Content-Type") == "application/merge-patch+json")
            #expect(String(decoding: requests[0].body, as: UTF8.self) == #"{"metadata":{"labels":{"kwasm.sh/kwasm-provisioned":null}}}"#)
        }
    }

    @Test func serverSideApply() async throws {
        try await withServer(handler: { request in Response(body: String(decoding: request.body, as: UTF8.self)) }) { client, server in
            let runtimeClass = RuntimeClass(metadata: ObjectMeta(name: "spin"), handler: "spin")
            _ = try await client.apply(runtimeClass, fieldManager: "kwasm-operator", force: true)
            _ = try await client.apply(WasmNodeStatus(metadata: ObjectMeta(name: "n1"), status: .init(phase: .pending)), fieldManager: "kwasm-operator", subresource: .status)
            let requests = server.requests
            #expect(requests[0].method == "PATCH")
            #expect(requests[0].uri == "/apis/node.k8s.io/v1/runtimeclasses/spin?fieldManager=kwasm-operator&force=true")
            #expect(requests[0].header("Content-Type") == "application/apply-patch+yaml")
            #expect(String(decoding: requests[0].body, as: UTF8.self).contains(#""kind":"RuntimeClass""#))
            #expect(requests[1].uri == "/apis/kwasm.sh/v1alpha1/wasmnodestatuses/n1/status?fieldManager=kwasm-operator")
        }
    }

    @Test func deleteSendsPropagationPolicyAndPreconditions() async throws {
        try await withServer(handler: { _ in Response(body: #"{"kind":"Status","status":"Success"}"#) }) { client, server in
            try await client.delete(Job.self, name: "j", propagation: .background)
            try await client.delete(Job.self, name: "j", namespace: "x", options: DeleteOptions(preconditionUID: "u1"))
            let requests = server.requests
            #expect(requests.map(\.method) == ["DELETE", "DELETE"])
            #expect(requests.map(\.uri) == ["/apis/batch/v1/namespaces/kwasm/jobs/j", "/apis/batch/v1/namespaces/x/jobs/j"])
            let first = try JSONDecoder().decode(JSONValue.self, from: Data(requests[0].body))
            #expect(first["propagationPolicy"] == "Background")
            let second = try JSONDecoder().decode(JSONValue.self, from: Data(requests[1].body))
            #expect(second["preconditions"] == ["uid": "u1"])
        }
    }

    @Test func tooManyRequestsIsRetriedAfterRetryAfter() async throws {
        let counter = NIOLockedValueBox(0)
        let throttled = #"{"kind":"Status","status":"Failure","reason":"TooManyRequests","code":429}"#
        try await withServer(handler: { _ in
            let index = counter.withLockedValue { value in defer { value += 1 }; return value }
            return index < 2 ? Response(status: 429, headers: [("Retry-After", "0")], body: throttled) : Response(body: Self.node)
        }) { client, server in
            let node = try await client.get(Node.self, name: "n1")
            #expect(node.metadata.name == "n1")
            #expect(server.requests.count == 3)
        }
    }

    @Test func retriesAreBounded() async throws {
        let throttled = #"{"kind":"Status","status":"Failure","reason":"TooManyRequests","code":429}"#
        try await withServer(retry: RetryPolicy(maxRetries: 2, defaultDelay: .milliseconds(1)), handler: { _ in Response(status: 429, body: throttled) }) { client, server in
            await #expect(throws: KubernetesError.self) { _ = try await client.get(Node.self, name: "n1") }
            #expect(server.requests.count == 3)
        }
    }

    @Test func serverErrorWithoutRetryAfterIsNotRetried() async throws {
        try await withServer(handler: { _ in Response(status: 500, body: #"{"kind":"Status","reason":"InternalError","message":"boom","code":500}"#) }) { client, server in
            do {
                _ = try await client.get(Node.self, name: "n1")
                Issue.record("expected an error")
            } catch let error as KubernetesError {
                #expect(error.reason == .internalError)
                #expect(error.message == "boom")
            }
            #expect(server.requests.count == 1)
        }
    }

    @Test func unauthorizedReloadsTheTokenFileAndRetriesOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tokenPath = try directory.write("token", "old")
        // A fixed modification time: the token changes but the file looks unchanged, so only the 401 can trigger a re-read.
        let fixed = Date(timeIntervalSince1970: 1_600_000_000)
        try FileManager.default.setAttributes([.modificationDate: fixed], ofItemAtPath: tokenPath)
        let accepted = NIOLockedValueBox("Bearer old")
        let unauthorized = #"{"kind":"Status","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#
        try await withServer(credentials: .tokenFile(path: tokenPath), handler: { request in
            request.header("Authorization") == accepted.withLockedValue({ $0 }) ? Response(body: Self.node) : Response(status: 401, body: unauthorized)
        }) { client, server in
            _ = try await client.get(Node.self, name: "n1")
            try directory.write("token", "new")
            try FileManager.default.setAttributes([.modificationDate: fixed], ofItemAtPath: tokenPath)
            accepted.withLockedValue { $0 = "Bearer new" }
            let node = try await client.get(Node.self, name: "n1")
            #expect(node.metadata.name == "n1")
            #expect(server.requests.map { $0.header("Authorization") } == ["Bearer old", "Bearer old", "Bearer new"])
            // A token the server keeps rejecting is retried once, then the 401 surfaces.
            accepted.withLockedValue { $0 = "Bearer never" }
            await #expect(throws: KubernetesError.self) { _ = try await client.get(Node.self, name: "n1") }
            #expect(server.requests.count == 5)
        }
    }

    @Test func fixedTokenIsNotRetriedOnUnauthorized() async throws {
        try await withServer(handler: { _ in Response(status: 401, body: #"{"kind":"Status","reason":"Unauthorized","code":401}"#) }) { client, server in
            await #expect(throws: KubernetesError.self) { _ = try await client.get(Node.self, name: "n1") }
            #expect(server.requests.count == 1)
        }
    }

    @Test func observerCountsRequestsByVerb() async throws {
        let records = NIOLockedValueBox<[RequestRecord]>([])
        try await withServer(observer: { record in records.withLockedValue { $0.append(record) } }, handler: { request in
            request.method == "DELETE" ? Response(status: 404, body: #"{"kind":"Status","reason":"NotFound","code":404}"#)
                : Response(body: request.uri.contains("?") ? #"{"metadata":{},"items":[]}"# : Self.node)
        }) { client, _ in
            _ = try await client.get(Node.self, name: "n1")
            _ = try await client.list(Node.self)
            _ = try await client.mergePatch(Node.self, name: "n1", patch: [:])
            try? await client.delete(Job.self, name: "j")
        }
        let seen = records.withLockedValue { $0 }
        #expect(seen.map(\.verb) == [.get, .list, .patch, .delete])
        #expect(seen.map(\.statusCode) == [200, 200, 200, 404])
        #expect(seen.map(\.resource) == ["nodes", "nodes", "nodes", "jobs.batch"])
    }

    @Test func unreachableServerIsATransportError() async throws {
        let client = try KubernetesClient(configuration: ClientConfiguration(server: "http://127.0.0.1:1", connectTimeout: .seconds(2)))
        do {
            _ = try await client.get(Node.self, name: "n1")
            Issue.record("expected a transport error")
        } catch let error as KubernetesClientError {
            #expect(error.code == .transport)
        }
        try await client.shutdown()
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/net/if_inet6"), "no IPv6 on this machine"))
    func ipv6ServerAddress() async throws {
        let server: TestHTTPServer
        do {
            server = try await TestHTTPServer(host: "::1") { _ in Response(body: Self.node) }
        } catch {
            print("skipping ipv6ServerAddress: cannot bind [::1]: \(error)")
            return
        }
        let client = try KubernetesClient(configuration: ClientConfiguration(server: "http://[::1]:\(server.port)"))
        #expect(try await client.get(Node.self, name: "n1").metadata.name == "n1")
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func readsAreResentOnceWhenTheServerClosesTheConnection() async throws {
        let counter = NIOLockedValueBox(0)
        try await withServer(handler: { request in
            let index = counter.withLockedValue { value in defer { value += 1 }; return value }
            return index == 0 || request.method != "GET" ? .close : Response(body: Self.node)
        }) { client, server in
            #expect(try await client.get(Node.self, name: "n1").metadata.name == "n1")
            #expect(server.requests.count == 2)
            // Writes are never resent: the server may have applied them.
            do {
                _ = try await client.create(Node(metadata: ObjectMeta(name: "n2")))
                Issue.record("expected a transport error")
            } catch let error as KubernetesClientError {
                #expect(error.code == .transport)
            }
            #expect(server.requests.count == 3)
        }
    }
}
