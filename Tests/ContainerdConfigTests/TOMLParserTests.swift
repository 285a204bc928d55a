@testable import ContainerdConfig
import Testing
import TOMLKit

/// Our parser must accept and reject exactly what a real TOML 1.0 parser (toml++ via TOMLKit) does.
@Suite struct TOMLParserTests {
    static let valid: [String] = [
        "",
        "# only a comment",
        "a = 1\nb = \"x\"\n",
        "a.b.c = 1\na.b.d = 2\n",
        "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.texture]\nsmooth = true\n",
        "[a.b.c]\n[a]\nx = 1\n",
        "[[p]]\nname = 1\n[[p]]\nname = 2\n[p.sub]\nx = 1\n",
        "t = { a = 1, b.c = 2, b.d = 3 }\n",
        "s = 'C:\\\\path'\nm = '''\nline\n'''\n",
        "s = \"\"\"\nfirst \\\n   second\"\"\"\n",
        "s = \"\"\"a\"\"\"\"\"\n",
        "\"quoted.key\" = 1\n'lit' = 2\n",
        "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n",
        "[plugins.'io.containerd.cri.v1.runtime'.containerd]\n",
        "a = [\n  1,\n  2, # comment\n]\n",
        "a = [ [1, 2], [\"x\", 3.5] ]\n",
        "i = 0x1F\no = 0o17\nb = 0b101\nn = -1_000\nf = 6.02e23\ng = -inf\nh = nan\n",
        "d = 1979-05-27T07:32:00Z\ne = 1979-05-27 07:32:00.5-07:00\nf = 1979-05-27\ng = 07:32:00\n",
        "a = 1\r\nb = 2\r\n",
        "u = \"\\u00e9\\U0001F600\"\n",
        "k = \"é ✓\" # ünïcode comment\n",
        "[ a . b ]\nc = 1\n",
    ]

    static let invalid: [String] = [
        "a = 1\na = 2\n",
        "[a]\n[a]\n",
        "a.b = 1\n[a]\n",
        "a = { b = 1 }\n[a.c]\n",
        "a = { b = 1 }\na.c = 2\n",
        "[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n",
        "[[a]]\n[a]\n",
        "a = [1]\n[[a]]\n",
        "a = 1 b = 2\n",
        "a = \"unterminated\n",
        "a = 'x\nb = 1\n",
        "a = \"bad \\q escape\"\n",
        "= 1\n",
        "a =\n",
        "[a\n",
        "a = { b = 1, }\n",
        "a = { b = 1, b = 2 }\n",
        "a = 01\n",
        "a = 1__0\n",
        "a = 1.\n",
        "a = .5\n",
        "a = 0x\n",
        "a = 1979-13-01\n",
        "a = truex\n",
        "a = [1 2]\n",
        "a = \"x\" \"y\"\n",
        "sandbox_image = \"{{default \"registry.k8s.io\" .ImageRepository}}/pause:3.1\"\n",
        "[plugins.cri.containerd.runtimes.{{$k}}]\n",
        "a = 1\rb = 2\n",
        "a = \"\u{01}\"\n",
        "[[a.b]]\n[a]\nb = 1\n",
        "a.b = 1\na = 2\n",
    ]

    @Test(arguments: valid)
    func acceptsValidTOML(_ text: String) throws {
        #expect(Support.tomlKitAccepts(Array(text.utf8)), "TOMLKit disagrees that this is valid: \(text.debugDescription)")
        do {
            _ = try TOMLParser.parse(Array(text.utf8))
        } catch {
            Issue.record("rejected valid TOML \(text.debugDescription): line \(error.line) col \(error.column): \(error.reason)")
        }
    }

    @Test(arguments: invalid)
    func rejectsInvalidTOML(_ text: String) {
        #expect(!Support.tomlKitAccepts(Array(text.utf8)), "TOMLKit accepts this: \(text.debugDescription)")
        #expect(throws: ContainerdConfig.TOMLParseError.self, "accepted invalid TOML \(text.debugDescription)") {
            _ = try TOMLParser.parse(Array(text.utf8))
        }
    }

    /// Corner cases where parsers differ; we must agree with toml++ whatever its verdict.
    @Test(arguments: [
        "[a.b.c]\n[a]\nb.d = 1\n",
        "[a]\nb.c = 1\n[a.b.d]\ne = 1\n",
        "a = [{ b = 1 }, { b = 2 }]\n[[c]]\n",
        "\u{FEFF}a = 1\n",
        "a = 1 # comment\u{7F}\n",
        "a = 2000-02-29\nb = 1900-02-29\n",
        "a = 1e1_0\n",
        "a = 0.0_1\n",
        "a = -0x1\n",
        "\"\" = 1\n",
        "a = '''''''\n",
        "a = \"\"\"\"\"\"\"\n",
        "[a.b.c]\n[a]\nb.d = 1\n[a.b]\n",
    ])
    func agreesWithTOMLKitOnCornerCases(_ text: String) {
        let ours = (try? TOMLParser.parse(Array(text.utf8))) != nil
        #expect(ours == Support.tomlKitAccepts(Array(text.utf8)), "disagreement on \(text.debugDescription): we say \(ours)")
    }

    @Test func invalidUTF8AndBinaryGarbageAreRejected() {
        let garbage: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0xFF, 0xFE, 0x00, 0x0A]
        #expect(throws: ContainerdConfig.TOMLParseError.self) { _ = try TOMLParser.parse(garbage) }
        #expect(throws: ContainerdConfig.TOMLParseError.self) { _ = try TOMLParser.parse(Array("a = \"\u{FFFD}\"\n".utf8).dropLast(3) + [0xC3, 0x28, 0x0A]) }
        #expect(!Support.tomlKitAccepts(garbage))
    }

    @Test func errorsNameLineColumnAndReason() {
        do {
            _ = try TOMLParser.parse(Array("a = 1\n[t]\nx = 1\n[t]\n".utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 4)
            #expect(error.column == 1)
            #expect(error.reason.contains("duplicate table t"))
            #expect(error.reason.contains("line 2"))
        }
    }

    /// The errors after an inline table's entry name the problem and point at it (top-level key and nested).
    @Test(arguments: [
        ("a = { x = 1 y = 2 }\n", "expected ',' or '}' in inline table, found", 13),
        ("a = { x = 1, }\n", "trailing comma in inline table", 14),
        ("a = { x = 1", "unterminated inline table", 5),
        ("[t]\nb = { c = { d = 1 e = 2 } }\n", "expected ',' or '}' in inline table, found", 19),
    ])
    func inlineTableSeparatorErrors(text: String, reason: String, column: Int) {
        do {
            _ = try TOMLParser.parse(Array(text.utf8))
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.reason.hasPrefix(reason), "\(error.reason)")
            #expect(error.column == column, "\(text.debugDescription): column \(error.column)")
        }
    }

    /// Same accept/reject decision as TOMLKit on every real-world fixture, and equal values where both accept.
    @Test func agreesWithTOMLKitOnEveryFixture() throws {
        for name in try Support.allFixtures() {
            let bytes = try Support.fixture(name)
            let ours = Result { () throws(ContainerdConfig.TOMLParseError) -> TOMLDocument in try TOMLParser.parse(bytes) }
            let theirs = Support.tomlKitAccepts(bytes)
            switch ours {
            case .success(let doc):
                #expect(theirs, "\(name): we accept, TOMLKit rejects")
                // Spot-check values against TOMLKit.
                if theirs, let table = try? TOMLTable(string: String(decoding: bytes, as: UTF8.self)) {
                    #expect(table.keys.sorted() == doc.childKeys(of: TOMLDocument.root).sorted(), "\(name): root keys differ")
                    if case .integer(let n)? = doc.rootEntry("version")?.value {
                        #expect(table["version"]?.int == Int(n), "\(name): version differs")
                    }
                }
            case .failure(let error):
                #expect(!theirs, "\(name): we reject (line \(error.line): \(error.reason)), TOMLKit accepts")
            }
        }
    }

    @Test func spansLocateHeadersEntriesAndArrayEnds() throws {
        let text = "version = 2\nimports = [\"/a\", '/b' ,]\n[plugins.\"x\".y]\n  k = { a = 1 }\n"
        let doc = try TOMLParser.parse(Array(text.utf8))
        let imports = try #require(doc.rootEntry("imports"))
        #expect(imports.firstLine == 2)
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[imports.valueRange], as: UTF8.self) == "[\"/a\", '/b' ,]")
        let lastEnd = try #require(imports.arrayLastElementEnd)
        #expect(String(decoding: bytes[..<lastEnd].suffix(4), as: UTF8.self) == "'/b'")
        #expect(doc.headers.map(\.path) == [["plugins", "x", "y"]])
        #expect(doc.headers[0].line == 3)
        #expect(doc.obstacle(on: ["plugins", "x", "y", "k", "z"])?.reason.contains("inline table") == true)
    }
}

extension Result where Failure == ContainerdConfig.TOMLParseError {
    init(_ body: () throws(ContainerdConfig.TOMLParseError) -> Success) {
        do { self = .success(try body()) } catch { self = .failure(error) }
    }
}
