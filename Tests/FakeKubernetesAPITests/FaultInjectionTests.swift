import AsyncHTTPClient
import FakeKubernetesAPI
import Testing

@Suite struct FaultInjectionTests {
    @Test func nextRequestsAnswer500ThenRecover() async throws {
        try await Harness.run { (h) async throws in
            h.api.failNextRequests(2, with: .internalError)
            let first = try await h.get(nodesPath)
            #expect(first.status == 500)
            #expect(first.body["reason"] == "InternalError")
            #expect(try await h.get(nodesPath).status == 500)
            #expect(try await h.get(nodesPath).status == 200)
        }
    }

    @Test func tooManyRequestsCarriesRetryAfter() async throws {
        try await Harness.run { (h) async throws in
            h.api.failNextRequests(1, with: .tooManyRequests(retryAfterSeconds: 3))
            let answer = try await h.get(nodesPath)
            #expect(answer.status == 429)
            #expect(answer.headers.first(name: "Retry-After") == "3")
            #expect(answer.body["details"]?["retryAfterSeconds"] == 3)
        }
    }

    @Test func faultsCanTargetAVerbAndResource() async throws {
        try await Harness.run { (h) async throws in
            h.api.failNextRequests(1, with: .status(code: 503, reason: "ServiceUnavailable"), verb: "create", resource: "pods")
            #expect(try await h.post(nodesPath, node("n")).status == 201)
            #expect(try await h.post("/api/v1/namespaces/default/pods", pod("p")).status == 503)
            #expect(try await h.post("/api/v1/namespaces/default/pods", pod("p")).status == 201)
        }
    }

    @Test func faultsCanUseAnyPredicate() async throws {
        try await Harness.run { (h) async throws in
            h.api.failNextRequests(1, with: .internalError) { $0.path.hasSuffix("/special") }
            #expect(try await h.get("\(nodesPath)/other").status == 404)
            #expect(try await h.get("\(nodesPath)/special").status == 500)
        }
    }

    @Test func hangingRequestTimesOutOnTheClient() async throws {
        try await Harness.run { (h) async throws in
            h.api.failNextRequests(1, with: .hang)
            await #expect(throws: (any Error).self) {
                _ = try await h.request(.GET, nodesPath, timeout: .milliseconds(300))
            }
            #expect(try await h.get(nodesPath).status == 200)
        }
    }

    @Test func delayedRequestStillAnswers() async throws {
        try await Harness.run { (h) async throws in
            h.api.failNextRequests(1, with: .delay(.milliseconds(100)))
            #expect(try await h.get(nodesPath).status == 200)
        }
    }

    @Test func closedConnectionFailsTheRequest() async throws {
        try await Harness.run { (h) async throws in
            h.api.failNextRequests(1, with: .closeConnection)
            await #expect(throws: (any Error).self) { _ = try await h.get(nodesPath) }
        }
    }

    @Test func droppedWatchEndsAbruptlyAndCanResume() async throws {
        try await Harness.run { (h) async throws in
            let created = try await h.post(nodesPath, node("a")).body
            let watch = try await h.watch("\(nodesPath)?watch=1&resourceVersion=\(created.rv)")
            #expect(h.api.openWatchCount == 1)
            _ = try await h.post(nodesPath, node("b"))
            let seen = try #require(try await within { try await watch.next() })
            #expect(h.api.dropAllWatches() == 1)
            #expect(try await within { try await watch.next() } == nil)
            #expect(watch.failed != nil)  // not a clean end of the response
            _ = try await h.post(nodesPath, node("c"))
            let resumed = try await h.watch("\(nodesPath)?watch=1&resourceVersion=\(seen["object"]!.rv)")
            #expect(try await within { try await resumed.next() }?.objectName == "c")
        }
    }

    @Test func endAllWatchesEndsCleanly() async throws {
        try await Harness.run { (h) async throws in
            let watch = try await h.watch("\(nodesPath)?watch=1")
            #expect(h.api.endAllWatches() == 1)
            #expect(try await within { try await watch.next() } == nil)
            #expect(watch.failed == nil)
        }
    }

    @Test func injectedConflictHitsTheNextWriteToThatObjectOnly() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post(nodesPath, node("a"))
            _ = try await h.post(nodesPath, node("b"))
            h.api.injectConflict(.nodes, name: "a")
            #expect(try await h.mergePatch("\(nodesPath)/b", ["metadata": ["labels": ["x": "1"]]]).status == 200)
            let conflict = try await h.mergePatch("\(nodesPath)/a", ["metadata": ["labels": ["x": "1"]]])
            #expect(conflict.status == 409)
            #expect(conflict.body["reason"] == "Conflict")
            #expect(try await h.mergePatch("\(nodesPath)/a", ["metadata": ["labels": ["x": "1"]]]).status == 200)
        }
    }

    @Test func clearFaultsRemovesPendingRules() async throws {
        try await Harness.run { (h) async throws in
            h.api.failNextRequests(5, with: .internalError)
            h.api.clearFaults()
            #expect(try await h.get(nodesPath).status == 200)
        }
    }
}

@Suite struct RequestLogTests {
    @Test func countsByVerbAndResourceAndResets() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post(nodesPath, node("a"))
            _ = try await h.get("\(nodesPath)/a")
            _ = try await h.get(nodesPath)
            _ = try await h.mergePatch("\(nodesPath)/a", ["metadata": ["labels": ["x": "1"]]])
            _ = try await h.apply("\(wnsPath)/a?fieldManager=m", wasmNodeStatus("a"))
            _ = try await h.delete("\(nodesPath)/a")
            #expect(h.api.requestCounts() == ["create": 1, "get": 1, "list": 1, "patch": 2, "delete": 1])
            #expect(h.api.requestCounts(resource: "nodes") == ["create": 1, "get": 1, "list": 1, "patch": 1, "delete": 1])
            #expect(h.api.writeCount(resource: "nodes") == 3)
            #expect(h.api.writeCount() == 4)
            let log = h.api.requestLog()
            #expect(log.map(\.status) == [201, 200, 200, 200, 201, 200])
            #expect(log[4].fieldManager == "m")
            #expect(log[1].name == "a")
            h.api.resetRequestLog()
            #expect(h.api.requestCounts().isEmpty)
            #expect(h.api.requestLog().isEmpty)
        }
    }

    @Test func convergedReadsAreNotWrites() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post(nodesPath, node("a"))
            h.api.resetRequestLog()
            _ = try await h.get(nodesPath)
            _ = try await h.get("\(nodesPath)/a")
            #expect(h.api.writeCount() == 0)
        }
    }
}
