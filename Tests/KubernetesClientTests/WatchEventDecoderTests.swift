import Testing

@testable import KubernetesClient

@Suite struct WatchEventDecoderTests {
    private func decode(_ text: String) throws -> WatchEvent<Node> {
        try WatchEventDecoder.decode(Node.self, frame: Array(text.utf8))
    }

    @Test func addedModifiedDeleted() throws {
        let added = try decode(#"{"type":"ADDED","object":{"kind":"Node","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"5"}}}"#)
        #expect(added.type == .added)
        #expect(added.object?.metadata.name == "a")
        #expect(added.resourceVersion == "5")
        #expect(try decode(#"{"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"6"}}}"#).type == .modified)
        let deleted = try decode(#"{"type":"DELETED","object":{"metadata":{"name":"a","resourceVersion":"7"}}}"#)
        #expect(deleted.type == .deleted)
        #expect(deleted.object?.kind == "Node")
    }

    @Test func bookmarkCarriesOnlyAResourceVersion() throws {
        let event = try decode(#"{"type":"BOOKMARK","object":{"kind":"Node","apiVersion":"v1","metadata":{"resourceVersion":"12345","annotations":{"k8s.io/initial-events-end":"true"}}}}"#)
        guard case .bookmark(let resourceVersion) = event else {
            Issue.record("not a bookmark: \(event)")
            return
        }
        #expect(resourceVersion == "12345")
    }

    @Test func runtimeClassBookmarkWithoutHandlerDecodes() throws {
        let event = try WatchEventDecoder.decode(
            RuntimeClass.self, frame: Array(#"{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}"#.utf8))
        #expect(event.resourceVersion == "9")
    }

    @Test func errorEventIsAStatusThatMapsToGone() throws {
        let event = try decode(
            #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (2)","reason":"Expired","code":410}}"#)
        guard case .error(let status) = event else {
            Issue.record("not an error: \(event)")
            return
        }
        let error = KubernetesError(status: status)
        #expect(error.isGone)
        #expect(error.reason == .expired)
        #expect(error.code == 410)
    }

    @Test func garbageIsADecodingError() {
        #expect(throws: KubernetesClientError.self) { try decode(#"{"type":"EXPLODED","object":{}}"#) }
        #expect(throws: KubernetesClientError.self) { try decode(#"not json"#) }
    }
}
