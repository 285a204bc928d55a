@testable import ContainerdConfig
import Testing

/// The parsed document stays proportional to the file (issue 14, item 13): per table and key it holds plain
/// offset records, never Strings, and checking an appended block does not parse the file again.
@Suite struct TOMLDocumentMemoryTests {
    @Test func recordsHoldNoReferences() {
        // POD: no String, Array or Dictionary per table, key or header; 16 bytes a node, 8 a header.
        #expect(_isPOD(TOMLDocument.Node.self))
        #expect(_isPOD(TOMLDocument.ValueRecord.self))
        #expect(_isPOD(TOMLDocument.HeaderRecord.self))
        #expect(MemoryLayout<TOMLDocument.Node>.stride == 16)
        #expect(MemoryLayout<TOMLDocument.HeaderRecord>.stride == 8)
    }

    /// Key ends and header ends are lexed again, not stored: quoted keys holding quotes, brackets and dots.
    @Test func keyAndHeaderEndsAreLexedAgain() throws {
        let text = "a-b_1 = 1\n[ \"x]\\\"y\" . 'p]q' ]\nk = 2\n[[arr . \"e.]\"]]\n\"\" = 3\n"
        let doc = try TOMLParser.parse(Array(text.utf8))
        #expect(doc.value(at: ["a-b_1"]) == .integer(1))
        #expect(doc.value(at: ["x]\"y", "p]q", "k"]) == .integer(2))
        let headers = doc.headers
        #expect(headers.map(\.path) == [["x]\"y", "p]q"], ["arr", "e.]"]])
        #expect(headers.map(\.line) == [2, 4])
        #expect(headers.map { String(decoding: Array(text.utf8)[$0.range], as: UTF8.self) }
                == ["[ \"x]\\\"y\" . 'p]q' ]", "[[arr . \"e.]\"]]"])
    }

    @Test func manyTablesAreFoundByPath() throws {
        var text = "version = 2\n"
        for n in 0..<2_000 { text += "[plugins.\"cri\".registry.configs.\"r\(n).example.com\".auth]\n  username = \"u\(n)\"\n" }
        let doc = try TOMLParser.parse(Array(text.utf8))
        // One node per table, per implicit table and per key: nothing else grows with the file.
        #expect(doc.nodes.count == 1 + 1 + 4 + 2_000 * 3)
        #expect(doc.value(at: ["plugins", "cri", "registry", "configs", "r1999.example.com", "auth", "username"]) == .string("u1999"))
        #expect(doc.header(1_999).path == ["plugins", "cri", "registry", "configs", "r1999.example.com", "auth"])
        #expect(doc.rootEntry("version")?.value == .integer(2))
    }

    /// Validating `file + block` from the file's document agrees with parsing the whole text, errors included.
    @Test(arguments: TOMLParserTests.valid)
    func appendingAgreesWithAWholeParse(_ text: String) throws {
        let suffixes = ["", "\n", "[a]\nz = 1\n", "\n[fruit.apple]\n", "x = 5\n", "\n# c\n[p.sub]\ny = 2\n",
                        "[[p]]\n", "\n[b]\nc = 1\n[b]\n", "t.z = 1\n", "[a.b.c]\n", "\n[\"quoted.key\".x]\n"]
            + TOMLParserTests.invalid
        for suffix in suffixes {
            let base = Array(text.utf8), block = Array(suffix.utf8)
            let whole = Result { () throws(TOMLParseError) -> TOMLDocument in try TOMLParser.parse(base + block) }
            let doc = try TOMLParser.parse(base)
            let appended = Result { () throws(TOMLParseError) -> Void in try TOMLParser.validateAppending(block, to: doc) }
            switch (whole, appended) {
            case (.success, .success): break
            case (.failure(let a), .failure(let b)):
                #expect(a == b, "\(text.debugDescription) + \(suffix.debugDescription)")
            default:
                Issue.record("\(text.debugDescription) + \(suffix.debugDescription): whole \(whole), appended \(appended)")
            }
        }
    }
}
