/// A TOML value as read from the file (datetimes are kept as their source text).
enum TOMLValue: Hashable, Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    case datetime(String)
    case array([TOMLValue])
    case inlineTable([String: TOMLValue])

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

/// A parsed TOML 1.0 document that remembers where everything came from, so the engine can
/// validate, ask "is this key defined, and how?", and make minimal textual edits.
///
/// Memory stays proportional to the file, not to its number of tables (issue 14, item 13): the document
/// keeps the file's bytes and, per table, key or header, a few 32-bit offsets into them. Keys are compared
/// and hashed in place; keys, paths and values become Strings only when the planner asks for one.
struct TOMLDocument: Sendable {
    /// How a table came to exist; TOML forbids redefining tables across these forms.
    enum TableOrigin: UInt8, Sendable, Equatable {
        /// Created as the parent of a `[a.b]` header (may still be defined once by `[a]`).
        case implicit
        /// Defined by its own `[header]` (or the root).
        case header
        /// Created by a dotted key `a.b = 1`.
        case dotted
        /// An inline table `{ … }`: closed, nothing may be added.
        case inline
    }

    enum Kind: Sendable, Equatable {
        case table(TableOrigin)
        /// `[[header]]`; each occurrence is an element node whose parent is the array node.
        case arrayOfTables
        /// A non-table value (string, array, …).
        case value
    }

    /// One table, array of tables or value. No Strings: its key is a byte range of ``bytes``.
    struct Node: Sendable {
        var parent: Int32
        /// Where the key's text starts in the file (inside the quotes for a quoted key); its end is lexed again
        /// when needed (``keyLength(of:)``) rather than stored: 4 bytes less per node on a config of 1M nodes.
        var keyStart: Int32
        /// 1-based line where the node was first created.
        var line: Int32
        /// value (or inline table): index into ``values``; array of tables: its last element; else -1.
        var payload: Int32
    }

    /// Where a value was written: a key/value line, or a key inside an inline table.
    struct ValueRecord: Sendable {
        var node: Int32
        /// Header index of the section, -1 for the root section, -2 for a key inside an inline table.
        var header: Int32
        /// Start of the key (of the whole `key = value`).
        var start: Int32
        var valueStart: Int32
    }

    /// A `[table]` or `[[array]]` header line. Its line is its table's (``line(ofNode:)``) and its end is lexed
    /// again (``headerEnd(from:isArray:)``): 8 bytes a header.
    struct HeaderRecord: Sendable {
        var node: Int32
        /// Where the header starts (its `[`).
        var start: Int32
    }

    /// A `[table]` or `[[array]]` header, decoded (see ``header(_:)``).
    struct Header: Sendable {
        var path: [String]
        var isArray: Bool
        var line: Int
        var range: Range<Int>
    }

    /// A key/value pair, decoded (see ``entry(_:)``).
    struct Entry: Sendable {
        /// Full path from the root (header path + dotted key).
        var path: [String]
        /// Index of the header of the section it belongs to, nil for the root section.
        var header: Int?
        var firstLine: Int
        var lastLine: Int
        /// Byte range of the whole `key = value`.
        var range: Range<Int>
        /// Byte range of the value.
        var valueRange: Range<Int>
        var value: TOMLValue
        /// For array values: byte offset just past the last element (nil for an empty array) and
        /// of the opening bracket, so an element can be appended without reformatting.
        var arrayLastElementEnd: Int?
        var arrayOpenBracket: Int?
    }

    /// Kind codes in ``kinds`` (low three bits) and flags.
    enum KindCode {
        static let arrayOfTables: UInt8 = 4
        static let value: UInt8 = 5
        static let mask: UInt8 = 7
        /// The key is a basic string with escapes: decode it to compare.
        static let escapedKey: UInt8 = 8
        /// A table that is one element of an array of tables (its parent is the array node).
        static let element: UInt8 = 16
    }

    /// The parsed bytes, indexed from 0: the file read from disk or a prefix of it (the file without our block,
    /// parsed in place instead of copied).
    var bytes: ArraySlice<UInt8>
    /// Bytes after ``bytes`` (only while ``TOMLParser/validateAppending(_:to:)`` checks an addition):
    /// offsets past ``bytes`` point here.
    var appended: ArraySlice<UInt8> = []
    var nodes: [Node] = [Node(parent: -1, keyStart: 0, line: 1, payload: -1)]
    /// Kind code and flags of each node (parallel to ``nodes``).
    var kinds: [UInt8] = [TableOrigin.header.rawValue]
    var values: [ValueRecord] = []
    var headerRecords: [HeaderRecord] = []
    var index = TOMLNodeIndex()

    /// Parser state at the end of the file, so a parse of bytes appended to it can go on from there.
    struct ParseEnd: Sendable {
        var table: Int32
        var header: Int32
        var line: Int32
        var lineStart: Int32
    }
    var parseEnd = ParseEnd(table: 0, header: -1, line: 1, lineStart: 0)

    static let root = 0

    /// Runs `body` on the buffer holding `offset` (``bytes`` or ``appended``) and the offset within it.
    func withSource<R>(at offset: Int, _ body: (ArraySlice<UInt8>, Int) -> R) -> R {
        offset < bytes.count || appended.isEmpty ? body(bytes, offset) : body(appended, offset - bytes.count)
    }

    init(bytes: ArraySlice<UInt8>) {
        precondition(bytes.startIndex == 0, "document bytes are indexed from 0")
        self.bytes = bytes
    }

    // MARK: nodes

    func kind(of node: Int) -> Kind {
        let code = kinds[node] & KindCode.mask
        switch code {
        case KindCode.arrayOfTables: return .arrayOfTables
        case KindCode.value: return .value
        default: return .table(TableOrigin(rawValue: code)!)
        }
    }

    func line(ofNode node: Int) -> Int { Int(nodes[node].line) }

    func isElement(_ node: Int) -> Bool { kinds[node] & KindCode.element != 0 }

    /// The decoded key of a node.
    func key(of node: Int) -> String {
        let n = nodes[node]
        let escaped = kinds[node] & KindCode.escapedKey != 0
        return withSource(at: Int(n.keyStart)) { source, start in
            if escaped { return TOMLParser.decodeEscapedKey(source, contentStart: start) }
            return String(decoding: source[start..<(start + keyLength(of: node))], as: UTF8.self)
        }
    }

    /// Length of a node's key text from ``Node/keyStart``: up to the closing quote of a quoted key (the byte before
    /// the start is its opening quote), else the bare key's bytes. The parser validated the key already.
    func keyLength(of node: Int) -> Int {
        guard node != TOMLDocument.root else { return 0 }
        return withSource(at: Int(nodes[node].keyStart)) { source, start in
            let quote = start > 0 ? source[start - 1] : 0
            var end = start
            if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                while source[end] != quote { end += quote == UInt8(ascii: "\"") && source[end] == UInt8(ascii: "\\") ? 2 : 1 }
            } else {
                while end < source.count, TOMLParser.isBareKeyByte(source[end]) { end += 1 }
            }
            return end - start
        }
    }

    /// Just past the closing bracket(s) of the (validated) header starting at `start`: quoted keys may hold `]`.
    func headerEnd(from start: Int, isArray: Bool) -> Int {
        withSource(at: start) { source, at in
            var i = at + (isArray ? 2 : 1)
            while source[i] != UInt8(ascii: "]") {
                let quote = source[i]
                i += 1
                guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else { continue }
                while source[i] != quote { i += quote == UInt8(ascii: "\"") && source[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i += 1
            }
            return start + (i - at) + (isArray ? 2 : 1)
        }
    }

    /// The child of `parent` named `key` (array-of-tables nodes themselves, not their elements).
    func child(_ parent: Int, _ key: String) -> Int? {
        var key = key
        return key.withUTF8 { index.find(parent: Int32(parent), key: UnsafeRawBufferPointer($0), in: self) }.map(Int.init)
    }

    /// The node at `path`, following the last element of arrays of tables (like TOML headers do).
    func node(at path: [String]) -> Int? {
        var current = TOMLDocument.root
        for key in path {
            guard let next = child(current, key) else { return nil }
            current = next
            if kind(of: current) == .arrayOfTables, nodes[current].payload >= 0 {
                current = Int(nodes[current].payload)
            }
        }
        return current
    }

    /// Path of a node from the root, as headers write it.
    func path(of node: Int) -> [String] {
        var parts: [String] = []
        var current = node
        while current != TOMLDocument.root, current >= 0 {
            if !isElement(current) { parts.append(key(of: current)) }
            current = Int(nodes[current].parent)
        }
        return parts.reversed()
    }

    /// Keys of a table's children, for tests and inspection (a scan of every node).
    func childKeys(of parent: Int) -> [String] {
        nodes.indices.filter { nodes[$0].parent == Int32(parent) && !isElement($0) }.map { key(of: $0) }
    }

    /// The first node along `path` (including the full path) that is not an ordinary table the
    /// engine can add a sub-table to, with the reason.
    func obstacle(on path: [String]) -> (line: Int, reason: String)? {
        var current = TOMLDocument.root
        var walked: [String] = []
        for key in path {
            guard let next = child(current, key) else { return nil }
            walked.append(key)
            switch kind(of: next) {
            case .table(.inline):
                return (line(ofNode: next), "\(TOMLKey.render(walked)) is written as an inline table, so no table can be added inside it")
            case .value:
                return (line(ofNode: next), "\(TOMLKey.render(walked)) is a value, not a table")
            case .arrayOfTables:
                return (line(ofNode: next), "\(TOMLKey.render(walked)) is an array of tables")
            case .table:
                current = next
            }
        }
        return nil
    }

    // MARK: values

    func value(at path: [String]) -> TOMLValue? {
        guard let node = node(at: path) else { return nil }
        return value(ofNode: node)
    }

    /// The value of a value node or inline table (decoded from the file), nil for other tables.
    func value(ofNode node: Int) -> TOMLValue? {
        let record = nodes[node].payload
        switch kind(of: node) {
        case .value:
            return decode(values[Int(record)]).value
        case .table(.inline):
            if record >= 0 { return decode(values[Int(record)]).value }
            // A table made by a dotted key inside an inline table (`{ a.b = 1 }`): gather its keys.
            var table: [String: TOMLValue] = [:]
            for child in nodes.indices where nodes[child].parent == Int32(node) {
                table[key(of: child)] = value(ofNode: child)
            }
            return .inlineTable(table)
        default:
            return nil
        }
    }

    /// Root-level entry with the given key.
    func rootEntry(_ key: String) -> Entry? {
        guard let node = child(TOMLDocument.root, key), nodes[node].payload >= 0 else { return nil }
        guard kind(of: node) == .value || kind(of: node) == .table(.inline) else { return nil }
        let record = Int(nodes[node].payload)
        guard values[record].header == -1 else { return nil }
        return entry(record)
    }

    /// Indices (into ``values``) of the key/value lines, in file order.
    var entryRecords: [Int] { values.indices.filter { values[$0].header != -2 } }

    /// A key/value line, decoded.
    func entry(_ record: Int) -> Entry {
        let r = values[record]
        let firstLine = line(ofNode: Int(r.node))
        let decoded = decode(r)
        let isArray = if case .array = decoded.value { true } else { false }
        return Entry(path: path(of: Int(r.node)), header: r.header >= 0 ? Int(r.header) : nil,
                     firstLine: firstLine, lastLine: decoded.lastLine,
                     range: Int(r.start)..<decoded.end, valueRange: Int(r.valueStart)..<decoded.end, value: decoded.value,
                     arrayLastElementEnd: isArray ? decoded.lastElementEnd : nil,
                     arrayOpenBracket: isArray ? Int(r.valueStart) : nil)
    }

    /// First and last line of a key/value line (the last from its value's end).
    func lines(ofEntry record: Int) -> ClosedRange<Int> {
        line(ofNode: Int(values[record].node))...decode(values[record]).lastLine
    }

    private func decode(_ record: ValueRecord) -> TOMLParser.DecodedValue {
        TOMLParser.decodeValue(bytes, at: Int(record.valueStart), line: line(ofNode: Int(record.node)))
    }

    // MARK: headers

    var headerCount: Int { headerRecords.count }

    func header(_ index: Int) -> Header {
        let h = headerRecords[index]
        let isArray = isElement(Int(h.node))
        return Header(path: path(of: Int(h.node)), isArray: isArray, line: line(ofNode: Int(h.node)),
                      range: Int(h.start)..<headerEnd(from: Int(h.start), isArray: isArray))
    }

    /// Every header, decoded: for tests and one-line documents (the planner walks ``header(_:)``).
    var headers: [Header] { headerRecords.indices.map(header) }

    // MARK: lines

    /// 1-based line and column of a byte offset (counts line feeds: only for error messages).
    func lineAndColumn(of offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for k in 0..<min(offset, bytes.count + appended.count) where withSource(at: k, { $0[$1] }) == 0x0A {
            line += 1
            lineStart = k + 1
        }
        return (line, offset - lineStart + 1)
    }
}

/// Rendering of keys as TOML source.
enum TOMLKey {
    static func isBare(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.allSatisfy { c in
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
        }
    }

    static func render(_ key: String) -> String {
        isBare(key) ? key : TOMLString.basic(key)
    }

    static func render(_ path: [String]) -> String {
        path.map { render($0) }.joined(separator: ".")
    }
}

enum TOMLString {
    /// A double-quoted basic string with the required escapes.
    static func basic(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
