import Foundation
import Testing
@testable import WasmOperator

/// The node lifecycle and the failure reasons are documented for users; these tests keep the
/// pages and the code in step, in both directions.
@Suite struct NodeLifecycleDocumentationTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ path: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent(path), encoding: .utf8)
    }

    /// The lines of the first `stateDiagram-v2` block in docs/architecture.md.
    static func diagram() throws -> [String] {
        let lines = try read("docs/architecture.md").components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "stateDiagram-v2" }) else { return [] }
        return lines[(start + 1)...].prefix { !$0.hasPrefix("```") }.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    @Test func theDiagramShowsEveryStateAndNoOther() throws {
        let lines = try Self.diagram()
        // `name: description` declares a state; `a --> b: why` is an edge.
        let declared = Set(lines.filter { !$0.contains("-->") }.compactMap { $0.split(separator: ":").first.map(String.init) })
        let inEdges = Set(lines.filter { $0.contains("-->") }.flatMap { line -> [String] in
            let ends = line.split(separator: ":")[0].components(separatedBy: "-->")
            return ends.map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0 != "[*]" }
        })
        let states = Set(NodeState.Kind.allCases.map(\.rawValue))
        #expect(declared == states)
        #expect(inEdges.isSubset(of: states), "edges name unknown states: \(inEdges.subtracting(states))")
    }

    @Test func theDiagramsEdgesAreTheTransitionsTable() throws {
        let edges = try Self.diagram().filter { $0.contains("-->") && !$0.hasPrefix("[*]") }.map { line -> String in
            let ends = line.split(separator: ":")[0].components(separatedBy: "-->").map { $0.trimmingCharacters(in: .whitespaces) }
            return "\(ends[0]) --> \(ends[1])"
        }
        let table = NodeState.transitions.map { "\($0.from.rawValue) --> \($0.to.rawValue)" }
        #expect(Set(edges) == Set(table), "only in the diagram: \(Set(edges).subtracting(table)); only in the code: \(Set(table).subtracting(edges))")
        #expect(edges.count == Set(edges).count, "an edge is drawn twice")
        #expect(table.count == Set(table).count, "a transition is listed twice")
    }

    @Test func everyReasonIsDocumentedAndTheDocumentationListsNoOther() throws {
        let page = try Self.read("docs/troubleshooting.md")
        // The first column of the reason tables (the sections before "Other symptoms"): | `Code` | …
        let reasons = page.components(separatedBy: "## Failure reasons").last?.components(separatedBy: "## Other symptoms").first ?? ""
        let documented = Set(reasons.components(separatedBy: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        })
        let installerSource = try Self.read("Sources/NodeInstaller/InstallerError.swift")
        let installerCodes = installerSource.components(separatedBy: "Code(rawValue: \"").dropFirst()
            .compactMap { $0.split(separator: "\"").first.map(String.init) }
        #expect(installerCodes.count > 10)
        let known = Set(NodeReason.all.map(\.rawValue)).union(installerCodes)
        #expect(known.subtracting(documented).isEmpty, "undocumented: \(known.subtracting(documented).sorted())")
        #expect(documented.subtracting(known).isEmpty, "documented but unknown: \(documented.subtracting(known).sorted())")
    }

    @Test func everyReasonTheCodeUsesIsInNodeReasonAll() throws {
        // `NodeReason.all` is hand-written: a new `static let` must join it.
        let source = try Self.read("Sources/WasmOperator/Planning/NodeReason.swift")
        let declared = source.components(separatedBy: "NodeReason(rawValue: \"").dropFirst()
            .compactMap { $0.split(separator: "\"").first.map(String.init) }
        #expect(Set(declared) == Set(NodeReason.all.map(\.rawValue)))
        #expect(declared.count == NodeReason.all.count)
    }
}
