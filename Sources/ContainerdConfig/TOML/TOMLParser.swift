/// Why a document is not valid TOML, and where.
struct TOMLParseError: Error, Sendable, Equatable {
    var line: Int
    var column: Int
    var reason: String
}

/// A strict, single-pass TOML 1.0 parser over bytes (linear time). It keeps source positions for
/// every header and key/value, and rejects everything TOML 1.0 rejects that containerd configs
/// could plausibly contain: duplicate keys and tables in any form, redefinition across header /
/// dotted-key / inline forms, invalid escapes, control characters, malformed numbers and dates,
/// invalid UTF-8.
struct TOMLParser {
    /// The bytes being parsed: the file, or (``validateAppending(_:to:)``) only what is appended to it.
    private let b: ArraySlice<UInt8>
    /// Offset of `b` in the document (``TOMLDocument/bytes`` then ``TOMLDocument/appended``).
    private let origin: Int
    private var i = 0
    private var line = 1
    private var lineStart = 0
    private var doc: TOMLDocument
    /// (parent, key) → node while parsing; moved into the document at the end.
    private var index = TOMLNodeIndex()
    /// Table node that key/values currently go into, and the header index of the section (-1: root).
    private var currentTable = TOMLDocument.root
    private var currentHeader: Int32 = -1
    /// How many arrays / inline tables enclose the value being parsed. Values nest by recursion, so the
    /// depth is bounded: a hostile file gets a parse error, not a stack overflow.
    private var depth = 0
    /// Deeper than any real containerd config (which nests 2–3 levels in values); far below the stack limit.
    static let maxDepth = 100
    /// Components of one dotted key or header, for the same reason.
    static let maxKeyParts = 128

    static func parse(_ bytes: [UInt8]) throws(TOMLParseError) -> TOMLDocument {
        try parse(bytes[...])
    }

    /// Parses `bytes` in place when they start at index 0 (a prefix of a file: no copy), else a copy of them.
    static func parse(_ slice: ArraySlice<UInt8>) throws(TOMLParseError) -> TOMLDocument {
        let bytes = slice.startIndex == 0 ? slice : Array(slice)[...]
        guard bytes.count < Int(Int32.max) else {
            throw TOMLParseError(line: 1, column: 1, reason: "file is larger than 2 GiB")
        }
        var parser = TOMLParser(bytes: bytes)
        parser.reserveForLines(bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.i = 3 }
        try parser.run()
        parser.finish()
        return parser.doc
    }

    /// Checks that `document`'s bytes followed by `appended` are valid TOML, parsing only `appended`: the
    /// parse goes on from the document's end state, exactly as a parse of the whole file would. Takes the
    /// document (pass it with `consume`, or its tables are copied first).
    static func validateAppending(_ appended: [UInt8], to document: consuming TOMLDocument) throws(TOMLParseError) {
        let appended = appended[...]
        guard document.bytes.count + appended.count < Int(Int32.max) else {
            throw TOMLParseError(line: 1, column: 1, reason: "file is larger than 2 GiB")
        }
        // The file's last line must end where `appended` begins (the managed block starts with a line ending);
        // otherwise the two run together (a trailing comment would swallow the first line): parse them as one.
        guard document.bytes.isEmpty || document.bytes.last == 0x0A || appended.first == 0x0A
                || appended.starts(with: [0x0D, 0x0A]) else {
            _ = try parse(Array(document.bytes) + appended)
            return
        }
        var parser = TOMLParser(continuing: document, appended: appended)
        try parser.run()
    }

    private init(bytes: ArraySlice<UInt8>) {
        b = bytes
        origin = 0
        doc = TOMLDocument(bytes: bytes)
    }

    private init(continuing document: consuming TOMLDocument, appended: ArraySlice<UInt8>) {
        b = appended
        origin = document.bytes.count
        doc = document
        doc.appended = appended
        index = doc.index
        doc.index = TOMLNodeIndex()
        let end = doc.parseEnd
        currentTable = Int(end.table)
        currentHeader = end.header
        line = Int(end.line)
        lineStart = Int(end.lineStart) - origin
    }

    /// Room for about one node, key and header per line up front: growing a large array by doubling holds the
    /// old and the new copy at once (capacity never written to is not resident).
    private mutating func reserveForLines(_ bytes: ArraySlice<UInt8>) {
        var lines = 1
        bytes.withUnsafeBufferPointer { for byte in $0 where byte == 0x0A { lines += 1 } }
        doc.nodes.reserveCapacity(lines + 1)
        doc.kinds.reserveCapacity(lines + 1)
        doc.values.reserveCapacity(lines)
        doc.headerRecords.reserveCapacity(lines)
    }

    /// Hands the index to the document and notes where the parse ended (for ``validateAppending(_:to:)``).
    private mutating func finish() {
        doc.index = index
        doc.parseEnd = TOMLDocument.ParseEnd(table: Int32(currentTable), header: currentHeader, line: Int32(line),
                                             lineStart: Int32(origin + lineStart))
    }

    /// A value decoded on demand from a parsed document's bytes.
    struct DecodedValue {
        var value: TOMLValue
        var end: Int
        var lastLine: Int
        var lastElementEnd: Int?
    }

    /// Decodes the (already validated) value starting at `offset` on `line`.
    static func decodeValue(_ bytes: ArraySlice<UInt8>, at offset: Int, line: Int) -> DecodedValue {
        var parser = TOMLParser(bytes: bytes)
        parser.i = offset
        parser.line = line
        var lastElementEnd: Int?
        let value = (try? parser.parseValue(arrayLastElementEnd: &lastElementEnd)) ?? .string("")
        return DecodedValue(value: value, end: parser.i, lastLine: parser.line, lastElementEnd: lastElementEnd)
    }

    /// A basic-string key with escapes, decoded (`contentStart` is just past its opening quote).
    static func decodeEscapedKey(_ bytes: ArraySlice<UInt8>, contentStart: Int) -> String {
        var parser = TOMLParser(bytes: bytes)
        parser.i = contentStart - 1
        return (try? parser.parseBasicString()) ?? ""
    }

    // MARK: errors and low-level helpers

    private func fail(_ reason: String, at offset: Int? = nil) -> TOMLParseError {
        let at = offset ?? i
        if at >= lineStart {
            return TOMLParseError(line: line, column: at - lineStart + 1, reason: reason)
        }
        let position = doc.lineAndColumn(of: origin + at)
        return TOMLParseError(line: position.line, column: position.column, reason: reason)
    }

    private var atEnd: Bool { i >= b.count }
    private func peek(_ offset: Int = 0) -> UInt8? { i + offset < b.count ? b[i + offset] : nil }

    private mutating func newline() {
        line += 1
        lineStart = i
    }

    private mutating func skipSpaces() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
    }

    /// Consumes a comment if present (validating its characters).
    private mutating func skipComment() throws(TOMLParseError) {
        guard peek() == UInt8(ascii: "#") else { return }
        i += 1
        while i < b.count, b[i] != 0x0A {
            let c = b[i]
            if c == 0x0D {
                if peek(1) == 0x0A { break }
                throw fail("bare carriage return in comment")
            }
            if (c < 0x20 && c != 0x09) || c == 0x7F { throw fail("control character in comment") }
            if c >= 0x80 { try skipUTF8() } else { i += 1 }
        }
    }

    /// Expects end of line (or file) after optional spaces and comment.
    private mutating func expectLineEnd() throws(TOMLParseError) {
        skipSpaces()
        try skipComment()
        if atEnd { return }
        if b[i] == 0x0A { i += 1; newline(); return }
        if b[i] == 0x0D, peek(1) == 0x0A { i += 2; newline(); return }
        throw fail("expected end of line, found \(describe(b[i]))")
    }

    private func describe(_ c: UInt8) -> String {
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x\(String(c, radix: 16))"
    }

    /// Validates one UTF-8 sequence at `i` and advances past it.
    private mutating func skipUTF8() throws(TOMLParseError) {
        _ = try decodeUTF8()
    }

    private mutating func decodeUTF8() throws(TOMLParseError) -> Unicode.Scalar {
        let c0 = b[i]
        var length = 0
        var value: UInt32 = 0
        switch c0 {
        case 0x00..<0x80: i += 1; return Unicode.Scalar(c0)
        case 0xC2...0xDF: length = 2; value = UInt32(c0 & 0x1F)
        case 0xE0...0xEF: length = 3; value = UInt32(c0 & 0x0F)
        case 0xF0...0xF4: length = 4; value = UInt32(c0 & 0x07)
        default: throw fail("invalid UTF-8")
        }
        guard i + length <= b.count else { throw fail("invalid UTF-8") }
        for k in 1..<length {
            let c = b[i + k]
            guard c & 0xC0 == 0x80 else { throw fail("invalid UTF-8") }
            value = value << 6 | UInt32(c & 0x3F)
        }
        let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { throw fail("invalid UTF-8") }
        i += length
        return scalar
    }

    // MARK: document structure

    private mutating func run() throws(TOMLParseError) {
        while !atEnd {
            skipSpaces()
            guard let c = peek() else { break }
            switch c {
            case UInt8(ascii: "#"), 0x0A, 0x0D:
                try expectLineEnd()
            case UInt8(ascii: "["):
                try parseHeader()
                try expectLineEnd()
            default:
                try parseKeyValue()
                try expectLineEnd()
            }
        }
    }

    private mutating func parseHeader() throws(TOMLParseError) {
        let start = i
        let headerLine = line
        i += 1
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { i += 1 }
        skipSpaces()
        let path = try parseKey()
        skipSpaces()
        guard peek() == UInt8(ascii: "]") else { throw fail("expected ']' to close the table header") }
        i += 1
        if isArray {
            guard peek() == UInt8(ascii: "]") else { throw fail("expected ']]' to close the array-of-tables header") }
            i += 1
        }
        let headerIndex = Int32(doc.headerRecords.count)

        // Walk all but the last key, creating implicit tables.
        var current = TOMLDocument.root
        for (n, part) in path.dropLast().enumerated() {
            if let next = child(current, part) {
                switch doc.kind(of: next) {
                case .table(.inline), .value:
                    throw fail("cannot define table \(render(path)): \(render(path[...n])) is already a value (line \(doc.line(ofNode: next)))", at: start)
                case .arrayOfTables:
                    current = Int(doc.nodes[next].payload)
                case .table:
                    current = next
                }
            } else {
                current = addNode(TOMLDocument.TableOrigin.implicit.rawValue, part, parent: current, line: line)
            }
        }
        let last = path[path.count - 1]
        let table: Int
        if isArray {
            if let existing = child(current, last) {
                guard doc.kind(of: existing) == .arrayOfTables else {
                    throw fail("cannot define array of tables \(render(path)): already defined at line \(doc.line(ofNode: existing))", at: start)
                }
                table = newElement(of: existing, last)
            } else {
                table = newElement(of: addNode(TOMLDocument.KindCode.arrayOfTables, last, parent: current, line: line), last)
            }
        } else if let existing = child(current, last) {
            guard doc.kind(of: existing) == .table(.implicit) else {
                throw fail("duplicate table \(render(path)): already defined at line \(doc.line(ofNode: existing))", at: start)
            }
            setOrigin(existing, .header)
            doc.nodes[existing].line = Int32(headerLine)
            table = existing
        } else {
            table = addNode(TOMLDocument.TableOrigin.header.rawValue, last, parent: current, line: line)
        }
        doc.headerRecords.append(TOMLDocument.HeaderRecord(node: Int32(table), start: Int32(origin + start)))
        currentTable = table
        currentHeader = headerIndex
    }

    // MARK: nodes

    /// Adds a node; `parent` -1 leaves it detached (not findable) until ``attach(_:to:)``.
    private mutating func addNode(_ code: UInt8, _ key: KeyPart, parent: Int, line: Int) -> Int {
        let node = doc.nodes.count
        doc.nodes.append(TOMLDocument.Node(parent: Int32(parent), keyStart: Int32(origin + key.start),
                                           line: Int32(line), payload: -1))
        doc.kinds.append(code | (key.escaped ? TOMLDocument.KindCode.escapedKey : 0))
        if parent >= 0 { index.insert(Int32(node), in: doc) }
        return node
    }

    private mutating func attach(_ node: Int, to parent: Int) {
        doc.nodes[node].parent = Int32(parent)
        index.insert(Int32(node), in: doc)
    }

    /// A new last element of an array of tables.
    private mutating func newElement(of array: Int, _ key: KeyPart) -> Int {
        let element = addNode(TOMLDocument.TableOrigin.header.rawValue | TOMLDocument.KindCode.element, key, parent: -1, line: line)
        doc.nodes[element].parent = Int32(array)
        doc.nodes[array].payload = Int32(element)
        return element
    }

    private mutating func setOrigin(_ node: Int, _ origin: TOMLDocument.TableOrigin) {
        doc.kinds[node] = (doc.kinds[node] & ~TOMLDocument.KindCode.mask) | origin.rawValue
    }

    private func child(_ parent: Int, _ key: KeyPart) -> Int? {
        withKeyBytes(key) { index.find(parent: Int32(parent), key: $0, in: doc) }.map(Int.init)
    }

    /// Records a value node (attached) in the document's value list.
    private mutating func recordValue(_ node: Int, header: Int32, start: Int, valueStart: Int, isInline: Bool) {
        if isInline { setOrigin(node, .inline) }
        doc.nodes[node].payload = Int32(doc.values.count)
        doc.values.append(TOMLDocument.ValueRecord(node: Int32(node), header: header, start: Int32(origin + start),
                                                   valueStart: Int32(origin + valueStart)))
    }

    private mutating func parseKeyValue() throws(TOMLParseError) {
        let start = i
        let firstLine = line
        let (key, node, valueStart, isInline) = try parseEntry(line: firstLine) { "expected '=' after key \($0)" }

        // Insert into the tree.
        var table = currentTable
        for (n, part) in key.dropLast().enumerated() {
            if let next = child(table, part) {
                // Like toml++: dotted keys may extend tables created by dotted keys, or implicitly
                // as parents of a header (which they then define), never explicitly defined ones.
                if doc.kind(of: next) == .table(.implicit) { setOrigin(next, .dotted) }
                guard doc.kind(of: next) == .table(.dotted) else {
                    throw fail("cannot add \(render(key)): \(TOMLKey.render(doc.path(of: currentTable) + strings(key[...n]))) is already defined at line \(doc.line(ofNode: next))", at: start)
                }
                table = next
            } else {
                table = addNode(TOMLDocument.TableOrigin.dotted.rawValue, part, parent: table, line: firstLine)
            }
        }
        if let existing = child(table, key[key.count - 1]) {
            throw fail("duplicate key \(TOMLKey.render(doc.path(of: currentTable) + strings(key))): already defined at line \(doc.line(ofNode: existing))", at: start)
        }
        attach(node, to: table)
        recordValue(node, header: currentHeader, start: start, valueStart: valueStart, isInline: isInline)
    }

    /// `key = value` (at the top level or inside an inline table): the key, the value's node (detached — it
    /// exists before the value is parsed, so an inline table's keys can hang under it), where the value starts
    /// and whether it is an inline table. `missingEquals` gets the rendered key.
    private mutating func parseEntry(
        line entryLine: Int, missingEquals: (String) -> String
    ) throws(TOMLParseError) -> (key: [KeyPart], node: Int, valueStart: Int, isInline: Bool) {
        let key = try parseKey()
        skipSpaces()
        guard peek() == UInt8(ascii: "=") else { throw fail(missingEquals(render(key))) }
        i += 1
        skipSpaces()
        let valueStart = i
        let node = addNode(TOMLDocument.KindCode.value, key[key.count - 1], parent: -1, line: entryLine)
        let isInline = peek() == UInt8(ascii: "{")
        var ignored: Int?
        _ = try parseValue(arrayLastElementEnd: &ignored, owner: node, ownerLine: entryLine)
        return (key, node, valueStart, isInline)
    }

    /// An inline table that is a key's value (or inside one): its keys become nodes under `owner`, with TOML's
    /// rules (dotted keys extend only tables made by dotted keys in the same inline table; nothing is redefined).
    private mutating func parseInlineTableNodes(owner: Int, line entryLine: Int) throws(TOMLParseError) {
        let open = i
        i += 1
        let firstNew = doc.nodes.count
        skipSpaces()
        if peek() == UInt8(ascii: "}") { i += 1; return }
        while true {
            skipSpaces()
            let keyAt = i
            let (key, node, valueStart, isInline) = try parseEntry(line: entryLine) { _ in "expected '=' in inline table" }
            var table = owner
            var free = true
            for part in key.dropLast() {
                if let next = child(table, part) {
                    guard doc.kind(of: next) == .table(.dotted) else { free = false; break }
                    table = next
                } else {
                    table = addNode(TOMLDocument.TableOrigin.dotted.rawValue, part, parent: table, line: entryLine)
                }
            }
            guard free, child(table, key[key.count - 1]) == nil else {
                throw fail("duplicate key \(render(key)) in inline table", at: keyAt)
            }
            attach(node, to: table)
            recordValue(node, header: -2, start: keyAt, valueStart: valueStart, isInline: isInline)
            if try inlineTableClosed(openedAt: open) { break }
        }
        // Tables made by dotted keys inside an inline table are as closed as the inline table.
        for node in firstNew..<doc.nodes.count where doc.kind(of: node) == .table(.dotted) { setOrigin(node, .inline) }
    }

    // MARK: keys

    /// One part of a dotted key: its text in the file (inside the quotes when quoted).
    struct KeyPart {
        var start: Int
        var end: Int
        /// A basic string with escapes: the text must be decoded to compare.
        var escaped: Bool
    }

    private func keyString(_ part: KeyPart) -> String {
        if part.escaped { return TOMLParser.decodeEscapedKey(b, contentStart: part.start) }
        return String(decoding: b[part.start..<part.end], as: UTF8.self)
    }

    private func strings(_ parts: some Collection<KeyPart>) -> [String] { parts.map(keyString) }

    private func render(_ parts: some Collection<KeyPart>) -> String { TOMLKey.render(strings(parts)) }

    private func withKeyBytes<R>(_ part: KeyPart, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if part.escaped {
            var key = keyString(part)
            return key.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        }
        return b.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[part.start..<part.end])) }
    }

    private mutating func parseKey() throws(TOMLParseError) -> [KeyPart] {
        var parts: [KeyPart] = []
        while true {
            skipSpaces()
            guard let c = peek() else { throw fail("expected a key") }
            if c == UInt8(ascii: "\"") {
                if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") { throw fail("multi-line strings cannot be keys") }
                let contentStart = i + 1
                _ = try parseBasicString()
                parts.append(KeyPart(start: contentStart, end: i - 1, escaped: b[contentStart..<(i - 1)].contains(0x5C)))
            } else if c == UInt8(ascii: "'") {
                if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") { throw fail("multi-line strings cannot be keys") }
                let contentStart = i + 1
                _ = try parseLiteralString()
                parts.append(KeyPart(start: contentStart, end: i - 1, escaped: false))
            } else {
                let start = i
                while let c = peek(), TOMLParser.isBareKeyByte(c) { i += 1 }
                guard i > start else { throw fail("invalid character \(describe(c)) in key") }
                parts.append(KeyPart(start: start, end: i, escaped: false))
            }
            skipSpaces()
            guard parts.count < TOMLParser.maxKeyParts else {
                throw fail("key has more than \(TOMLParser.maxKeyParts) dotted parts")
            }
            if peek() == UInt8(ascii: ".") { i += 1; continue }
            return parts
        }
    }

    static func isBareKeyByte(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
    }

    // MARK: values

    /// `owner`: the node of the key whose value this is; an inline table then becomes nodes under it
    /// (in arrays, and when decoding, it is read into a `TOMLValue`).
    private mutating func parseValue(arrayLastElementEnd: inout Int?, owner: Int? = nil, ownerLine: Int = 0) throws(TOMLParseError) -> TOMLValue {
        guard let c = peek() else { throw fail("expected a value") }
        switch c {
        case UInt8(ascii: "\""):
            if peek(1) == c, peek(2) == c { return .string(try parseMultilineBasicString()) }
            return .string(try parseBasicString())
        case UInt8(ascii: "'"):
            if peek(1) == c, peek(2) == c { return .string(try parseMultilineLiteralString()) }
            return .string(try parseLiteralString())
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            guard depth < TOMLParser.maxDepth else {
                throw fail("arrays and inline tables nested more than \(TOMLParser.maxDepth) deep")
            }
            depth += 1
            defer { depth -= 1 }
            if c == UInt8(ascii: "[") { return try parseArray(lastElementEnd: &arrayLastElementEnd) }
            if let owner {
                try parseInlineTableNodes(owner: owner, line: ownerLine)
                return .inlineTable([:])
            }
            return try parseInlineTable()
        case UInt8(ascii: "t"):
            if b[i...].starts(with: Array("true".utf8)) { i += 4; return .bool(true) }
        case UInt8(ascii: "f"):
            if b[i...].starts(with: Array("false".utf8)) { i += 5; return .bool(false) }
        default:
            return try parseNumberOrDate()
        }
        throw fail("invalid value")
    }

    private mutating func parseBasicString() throws(TOMLParseError) -> String {
        i += 1
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw fail("unterminated string") }
            switch c {
            case UInt8(ascii: "\""):
                i += 1
                return String(out)
            case UInt8(ascii: "\\"):
                out.append(try parseEscape())
            case 0x0A, 0x0D:
                throw fail("newline in a single-line string")
            default:
                if (c < 0x20 && c != 0x09) || c == 0x7F { throw fail("control character in string; escape it") }
                out.append(try decodeUTF8())
            }
        }
    }

    private mutating func parseEscape() throws(TOMLParseError) -> Unicode.Scalar {
        let at = i
        i += 1
        guard let c = peek() else { throw fail("unterminated escape") }
        i += 1
        switch c {
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = c == UInt8(ascii: "u") ? 4 : 8
            guard i + count <= b.count else { throw fail("short unicode escape", at: at) }
            var value: UInt32 = 0
            for k in 0..<count {
                guard let digit = TOMLParser.hexValue(b[i + k]) else { throw fail("invalid unicode escape", at: at) }
                value = value * 16 + UInt32(digit)
            }
            i += count
            guard let scalar = Unicode.Scalar(value) else { throw fail("unicode escape is not a scalar value", at: at) }
            return scalar
        default:
            throw fail("invalid escape sequence \\\(Character(Unicode.Scalar(c)))", at: at)
        }
    }

    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c - 0x30)
        case 0x41...0x46: return Int(c - 0x41 + 10)
        case 0x61...0x66: return Int(c - 0x61 + 10)
        default: return nil
        }
    }

    private mutating func parseLiteralString() throws(TOMLParseError) -> String {
        i += 1
        let start = i
        while true {
            guard let c = peek() else { throw fail("unterminated string") }
            if c == UInt8(ascii: "'") { break }
            if c == 0x0A || c == 0x0D { throw fail("newline in a single-line string") }
            if (c < 0x20 && c != 0x09) || c == 0x7F { throw fail("control character in literal string") }
            if c >= 0x80 { try skipUTF8() } else { i += 1 }
        }
        let s = String(decoding: b[start..<i], as: UTF8.self)
        i += 1
        return s
    }

    /// Consumes a newline inside a multi-line string; returns false if not at one.
    private mutating func consumeNewlineInString() throws(TOMLParseError) -> Bool {
        if peek() == 0x0A { i += 1; newline(); return true }
        if peek() == 0x0D {
            guard peek(1) == 0x0A else { throw fail("bare carriage return in string") }
            i += 2; newline(); return true
        }
        return false
    }

    private mutating func parseMultilineBasicString() throws(TOMLParseError) -> String {
        i += 3
        var out = String.UnicodeScalarView()
        if peek() == 0x0A { i += 1; newline() } else if peek() == 0x0D, peek(1) == 0x0A { i += 2; newline() }
        while true {
            guard let c = peek() else { throw fail("unterminated multi-line string") }
            if c == UInt8(ascii: "\"") && peek(1) == c && peek(2) == c {
                // Up to two extra quotes may close the string.
                var quotes = 3
                while peek(quotes) == c, quotes < 5 { quotes += 1 }
                for _ in 0..<(quotes - 3) { out.append("\"") }
                i += quotes
                return String(out)
            }
            if c == UInt8(ascii: "\\") {
                // Line-ending backslash: trim whitespace and newlines up to the next content.
                var j = i + 1
                while j < b.count, b[j] == 0x20 || b[j] == 0x09 { j += 1 }
                if j < b.count, b[j] == 0x0A || (b[j] == 0x0D && j + 1 < b.count && b[j + 1] == 0x0A) {
                    i = j
                    while true {
                        if try consumeNewlineInString() { continue }
                        if peek() == 0x20 || peek() == 0x09 { i += 1; continue }
                        break
                    }
                    continue
                }
                out.append(try parseEscape())
                continue
            }
            if try consumeNewlineInString() {
                out.append("\n")
                continue
            }
            if (c < 0x20 && c != 0x09) || c == 0x7F { throw fail("control character in string; escape it") }
            out.append(try decodeUTF8())
        }
    }

    private mutating func parseMultilineLiteralString() throws(TOMLParseError) -> String {
        i += 3
        var out = String.UnicodeScalarView()
        if peek() == 0x0A { i += 1; newline() } else if peek() == 0x0D, peek(1) == 0x0A { i += 2; newline() }
        while true {
            guard let c = peek() else { throw fail("unterminated multi-line string") }
            if c == UInt8(ascii: "'") && peek(1) == c && peek(2) == c {
                var quotes = 3
                while peek(quotes) == c, quotes < 5 { quotes += 1 }
                for _ in 0..<(quotes - 3) { out.append("'") }
                i += quotes
                return String(out)
            }
            if try consumeNewlineInString() {
                out.append("\n")
                continue
            }
            if (c < 0x20 && c != 0x09) || c == 0x7F { throw fail("control character in literal string") }
            out.append(try decodeUTF8())
        }
    }

    /// Whitespace, newlines and comments inside arrays.
    private mutating func skipArrayFiller() throws(TOMLParseError) {
        while true {
            skipSpaces()
            if peek() == UInt8(ascii: "#") { try skipComment() }
            if try consumeNewlineInString() { continue }
            return
        }
    }

    private mutating func parseArray(lastElementEnd: inout Int?) throws(TOMLParseError) -> TOMLValue {
        i += 1
        var items: [TOMLValue] = []
        while true {
            try skipArrayFiller()
            guard let c = peek() else { throw fail("unterminated array") }
            if c == UInt8(ascii: "]") { i += 1; return .array(items) }
            var ignored: Int?
            items.append(try parseValue(arrayLastElementEnd: &ignored))
            lastElementEnd = i
            try skipArrayFiller()
            guard let next = peek() else { throw fail("unterminated array") }
            if next == UInt8(ascii: ",") { i += 1; continue }
            if next == UInt8(ascii: "]") { i += 1; return .array(items) }
            throw fail("expected ',' or ']' in array, found \(describe(next))")
        }
    }

    /// After an inline table's entry: `,` (another entry follows; false) or `}` (the table is closed; true).
    private mutating func inlineTableClosed(openedAt open: Int) throws(TOMLParseError) -> Bool {
        skipSpaces()
        guard let c = peek() else { throw fail("unterminated inline table", at: open) }
        i += 1
        if c == UInt8(ascii: "}") { return true }
        guard c == UInt8(ascii: ",") else {
            i -= 1
            throw fail("expected ',' or '}' in inline table, found \(describe(c))")
        }
        skipSpaces()
        if peek() == UInt8(ascii: "}") { throw fail("trailing comma in inline table") }
        return false
    }

    private mutating func parseInlineTable() throws(TOMLParseError) -> TOMLValue {
        let open = i
        i += 1
        // Inline tables are parsed into their own scratch tree to get TOML's duplicate rules.
        var result: [String: TOMLValue] = [:]
        var dottedTables = Set<[String]>()
        skipSpaces()
        if peek() == UInt8(ascii: "}") { i += 1; return .inlineTable([:]) }
        while true {
            skipSpaces()
            let keyAt = i
            let key = strings(try parseKey())
            skipSpaces()
            guard peek() == UInt8(ascii: "=") else { throw fail("expected '=' in inline table") }
            i += 1
            skipSpaces()
            var ignored: Int?
            let value = try parseValue(arrayLastElementEnd: &ignored)
            guard TOMLParser.insert(value, at: key[...], into: &result, prefix: [], dotted: &dottedTables) else {
                throw fail("duplicate key \(TOMLKey.render(key)) in inline table", at: keyAt)
            }
            if try inlineTableClosed(openedAt: open) { return .inlineTable(result) }
        }
    }

    private static func insert(_ value: TOMLValue, at key: ArraySlice<String>, into dict: inout [String: TOMLValue],
                               prefix: [String], dotted: inout Set<[String]>) -> Bool {
        let first = key[key.startIndex]
        if key.count == 1 {
            if dict[first] != nil { return false }
            dict[first] = value
            return true
        }
        let path = prefix + [first]
        var inner: [String: TOMLValue]
        if let existing = dict[first] {
            guard case .inlineTable(let d) = existing, dotted.contains(path) else { return false }
            inner = d
        } else {
            inner = [:]
            dotted.insert(path)
        }
        guard insert(value, at: key.dropFirst(), into: &inner, prefix: path, dotted: &dotted) else { return false }
        dict[first] = .inlineTable(inner)
        return true
    }

    // MARK: numbers and dates

    private mutating func parseNumberOrDate() throws(TOMLParseError) -> TOMLValue {
        let start = i
        // Datetimes may contain one space between date and time.
        while let c = peek(), TOMLParser.isValueByte(c) { i += 1 }
        if i - start == 10, peek() == 0x20, let next = peek(1), next >= 0x30 && next <= 0x39,
           TOMLDateTime.isDate(b[start..<i]) {
            i += 1
            while let c = peek(), TOMLParser.isValueByte(c) { i += 1 }
        }
        guard i > start else { throw fail("expected a value, found \(describe(b[i]))") }
        let text = String(decoding: b[start..<i], as: UTF8.self)
        if let value = TOMLNumber.parse(text) { return value }
        if TOMLDateTime.isValid(text) { return .datetime(text) }
        throw fail("invalid value '\(text)'", at: start)
    }

    private static func isValueByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
            || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
            || c == UInt8(ascii: ".") || c == UInt8(ascii: ":")
    }
}
