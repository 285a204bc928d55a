import FakeKubernetesAPI
import Foundation
import Testing

@Suite struct SelectorTests {
    static let cases: [(String, [String])] = [
        ("tier=web", ["a", "b"]),
        ("tier==web", ["a", "b"]),
        ("tier!=web", ["c", "d"]),
        ("tier in (db,cache)", ["c"]),
        ("tier notin (web)", ["c", "d"]),
        ("kwasm.sh/kwasm-node", ["a", "c"]),
        ("!kwasm.sh/kwasm-node", ["b", "d"]),
        ("tier=web,kwasm.sh/kwasm-node", ["a"]),
        ("tier in (web, db),!kwasm.sh/kwasm-node", ["b"]),
    ]

    @Test(arguments: cases)
    func labelSelectorsFilterLists(selector: String, expected: [String]) async throws {
        try await Harness.run { (h) async throws in
            try await Self.seed(h)
            let query = selector.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let answer = try await h.get("\(nodesPath)?labelSelector=\(query)")
            #expect(answer.status == 200)
            #expect(answer.body["items"]?.arrayValue?.compactMap(\.objectName) == expected)
        }
    }

    static func seed(_ h: Harness) async throws {
        _ = try await h.post(nodesPath, node("a", labels: ["tier": "web", "kwasm.sh/kwasm-node": "true"]))
        _ = try await h.post(nodesPath, node("b", labels: ["tier": "web"]))
        _ = try await h.post(nodesPath, node("c", labels: ["tier": "db", "kwasm.sh/kwasm-node": "false"]))
        _ = try await h.post(nodesPath, node("d"))
    }

    @Test func malformedLabelSelectorIsBadRequest() async throws {
        try await Harness.run { (h) async throws in
            #expect(try await h.get("\(nodesPath)?labelSelector=a%20in%20b").status == 400)
        }
    }

    @Test func fieldSelectorsByNameNamespaceAndNodeName() async throws {
        try await Harness.run { (h) async throws in
            _ = try await h.post("/api/v1/namespaces/default/pods", pod("p1", nodeName: "n1"))
            _ = try await h.post("/api/v1/namespaces/default/pods", pod("p2", nodeName: "n2"))
            _ = try await h.post("/api/v1/namespaces/kube-system/pods", pod("p3", namespace: "kube-system", nodeName: "n1"))
            func names(_ query: String) async throws -> [String] {
                try await h.get("/api/v1/pods?fieldSelector=\(query)").body["items"]?.arrayValue?.compactMap(\.objectName) ?? []
            }
            #expect(try await names("spec.nodeName%3Dn1") == ["p1", "p3"])
            #expect(try await names("metadata.name%3Dp2") == ["p2"])
            #expect(try await names("metadata.namespace%3Dkube-system") == ["p3"])
            #expect(try await names("spec.nodeName%21%3Dn1") == ["p2"])
            #expect(try await names("spec.nodeName%3Dn1,metadata.namespace%3Ddefault") == ["p1"])
        }
    }

    @Test func unsupportedFieldSelectorIsBadRequest() async throws {
        try await Harness.run { (h) async throws in
            let answer = try await h.get("\(nodesPath)?fieldSelector=spec.nodeName%3Dx")
            #expect(answer.status == 400)
            #expect(answer.body["message"]?.stringValue?.contains("field label not supported") == true)
        }
    }
}

@Suite struct PaginationTests {
    @Test func limitAndContinueWalkAConsistentSnapshot() async throws {
        try await Harness.run { (h) async throws in
            for i in 0..<7 { _ = try await h.post(nodesPath, node("node-\(i)")) }
            let first = try await h.get("\(nodesPath)?limit=3").body
            #expect(first["items"]?.arrayValue?.compactMap(\.objectName) == ["node-0", "node-1", "node-2"])
            let token = try #require(first["metadata"]?["continue"]?.stringValue)
            let listRV = first.rv

            // Changes after the first page are not visible in later pages.
            _ = try await h.delete("\(nodesPath)/node-4")
            _ = try await h.post(nodesPath, node("node-5a"))
            _ = try await h.mergePatch("\(nodesPath)/node-5", ["metadata": ["labels": ["late": "yes"]]])

            let second = try await h.get("\(nodesPath)?limit=3&continue=\(token)").body
            #expect(second["items"]?.arrayValue?.compactMap(\.objectName) == ["node-3", "node-4", "node-5"])
            #expect(second["items"]?.arrayValue?.last?["metadata"]?["labels"] == nil)
            #expect(second.rv == listRV)
            let token2 = try #require(second["metadata"]?["continue"]?.stringValue)
            let third = try await h.get("\(nodesPath)?limit=3&continue=\(token2)").body
            #expect(third["items"]?.arrayValue?.compactMap(\.objectName) == ["node-6"])
            #expect(third["metadata"]?["continue"] == nil)
        }
    }

    @Test func paginationWithSelectorFillsPages() async throws {
        try await Harness.run { (h) async throws in
            for i in 0..<6 { _ = try await h.post(nodesPath, node("n\(i)", labels: ["even": i % 2 == 0 ? "yes" : "no"])) }
            var names: [String] = []
            var token: String? = nil
            repeat {
                let path = "\(nodesPath)?labelSelector=even%3Dyes&limit=2" + (token.map { "&continue=\($0)" } ?? "")
                let page = try await h.get(path).body
                names += page["items"]?.arrayValue?.compactMap(\.objectName) ?? []
                token = page["metadata"]?["continue"]?.stringValue
            } while token != nil
            #expect(names == ["n0", "n2", "n4"])
        }
    }

    @Test func expiredContinueTokenAnswers410() async throws {
        try await Harness.run { (h) async throws in
            for i in 0..<4 { _ = try await h.post(nodesPath, node("n\(i)")) }
            let first = try await h.get("\(nodesPath)?limit=2").body
            let token = try #require(first["metadata"]?["continue"]?.stringValue)
            _ = try await h.post(nodesPath, node("later"))
            h.api.expireResourceVersions()
            let answer = try await h.get("\(nodesPath)?limit=2&continue=\(token)")
            #expect(answer.status == 410)
            #expect(answer.body["reason"] == "Expired")
        }
    }

    @Test func garbageContinueTokenIsBadRequest() async throws {
        try await Harness.run { (h) async throws in
            #expect(try await h.get("\(nodesPath)?limit=2&continue=nonsense").status == 400)
        }
    }
}
