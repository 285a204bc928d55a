import FoundationEssentials
import OCIWasmWrapper
import Testing

/// kwasm-oci reads and writes config.json without Foundation: what it writes must be what runc would
/// have read from the original, every value intact.
@Suite struct JSONReaderTests {
    func parse(_ text: String) throws -> JSONValue { try JSONReader.parse(Array(text.utf8)) }

    @Test func readsWhatFoundationReads() throws {
        let text = #"""
        { "ociVersion": "1.0.2", "process": { "args": ["/m.wasm", "a b", ""], "terminal": false,
          "user": {"uid": 0, "gid": 0}, "env": ["PATH=/usr/bin", "Q=\"quoted\" \\ \/ \n\t\u0001 é 😀 \ud83d\ude00"] },
          "linux": { "resources": { "memory": { "limit": 9223372036854771712, "swap": -1 }, "cpu": { "shares": 2, "quota": 1.5e3 } } },
          "mounts": [], "annotations": {}, "hooks": null, "ok": true, "no": false, "big": 18446744073709551615 }
        """#
        let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(try parse(text) == foundation)
        #expect(try parse(text)["linux"]?["resources"]?["memory"]?["limit"] == .int(9223372036854771712))
        #expect(try parse(text)["big"] == .uint(18446744073709551615))
    }

    @Test func writesWhatReadsBackTheSame() throws {
        let value = try parse(#"{"s":"\"q\" \\ / \n \r \t \u0000 \u001f é 😀","n":[-9223372036854775808,0,1.25,-2.5e-7],"e":{},"a":[[]],"x":null}"#)
        let written = JSONWriter.bytes(value)
        #expect(try JSONReader.parse(written) == value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(written)) == value, "Foundation (and so runc) reads it too")
    }

    @Test func rejectsWhatIsNotJSON() {
        for text in [#"{"a":1"#, "[1,]", #"{"a" 1}"#, "tru", #""abc"#, #"{"a":1} x"#, "", "[01x]", #""\q""#] {
            #expect(throws: JSONReader.Failure.self, "\(text)") { try parse(text) }
        }
    }
}
