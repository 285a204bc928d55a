import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import KubernetesClient

@Suite struct WatchStreamTests {
    static let events = [
        #"{"type":"ADDED","object":{"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"a","namespace":"kwasm","resourceVersion":"11"}}}"#,
        #"{"type":"MODIFIED","object":{"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"a","namespace":"kwasm","resourceVersion":"12"},"status":{"succeeded":1}}}"#,
        #"{"type":"BOOKMARK","object":{"kind":"Job","apiVersion":"batch/v1","metadata":{"resourceVersion":"15"}}}"#,
        #"{"type":"DELETED","object":{"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"a","namespace":"kwasm","resourceVersion":"16"}}}"#,
        #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version","reason":"Expired","code":410}}"#,
    ]

    private func withWatchServer(
        chunks: [[UInt8]], status: Int = 200, body: (KubernetesClient, TestHTTPServer) async throws -> Void
    ) async throws {
        let server = try await TestHTTPServer { _ in TestHTTPServer.Response(status: status, chunks: chunks) }
        let client = try KubernetesClient(configuration: ClientConfiguration(server: "http://127.0.0.1:\(server.port)", retry: .none))
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

    @Test func eventsSplitAcrossChunksArriveInOrder() async throws {
        let stream = Array(Self.events.joined(separator: "\n").utf8) + [10]
        // Chunk boundaries in awkward places: mid-key, mid-multibyte-free JSON, right before newlines.
        var chunks: [[UInt8]] = []
        var index = 0
        var size = 1
        while index < stream.count {
            let end = min(stream.count, index + size)
            chunks.append(Array(stream[index..<end]))
            index = end
            size = size * 3 % 97 + 1
        }
        try await withWatchServer(chunks: chunks) { client, server in
            var received: [WatchEvent<Job>] = []
            for try await event in client.watch(Job.self, namespace: "kwasm", options: WatchOptions(resourceVersion: "10", timeoutSeconds: 290)) {
                received.append(event)
            }
            #expect(received.map(\.type) == [.added, .modified, .bookmark, .deleted, .error])
            #expect(received.map(\.resourceVersion) == ["11", "12", "15", "16", nil])
            #expect(received[1].object?.status?.succeeded == 1)
            guard case .error(let status) = received[4] else {
                Issue.record("last event is not an error")
                return
            }
            #expect(KubernetesError(status: status).isGone)
            #expect(
                server.requests.first?.uri
                    == "/apis/batch/v1/namespaces/kwasm/jobs?watch=true&resourceVersion=10&allowWatchBookmarks=true&timeoutSeconds=290")
        }
    }

    @Test func goneWhenStartingTheWatchThrows() async throws {
        let body = #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (50)","reason":"Expired","code":410}"#
        try await withWatchServer(chunks: [Array(body.utf8)], status: 410) { client, _ in
            do {
                for try await _ in client.watch(Node.self, options: WatchOptions(resourceVersion: "1")) {}
                Issue.record("expected 410")
            } catch let error as KubernetesError {
                #expect(error.isGone)
            }
        }
    }

    @Test func oversizedEventFailsTheStream() async throws {
        let big = #"{"type":"ADDED","object":{"metadata":{"name":"a","annotations":{"x":""# + String(repeating: "y", count: 4096) + #""}}}}"# + "\n"
        try await withWatchServer(chunks: [Array(Self.events[0].utf8) + [10], Array(big.utf8)]) { client, _ in
            var count = 0
            do {
                for try await _ in client.watch(Job.self, options: WatchOptions(maxEventBytes: 1024)) { count += 1 }
                Issue.record("expected eventTooLarge")
            } catch let error as KubernetesClientError {
                #expect(error.code == .eventTooLarge)
            }
            #expect(count == 1)
        }
    }

    @Test func breakingOutOfTheLoopEndsTheWatch() async throws {
        try await withWatchServer(chunks: Self.events.map { Array($0.utf8) + [10] }) { client, _ in
            var first: WatchEvent<Job>?
            for try await event in client.watch(Job.self) {
                first = event
                break
            }
            #expect(first?.type == .added)
        }
    }
}
