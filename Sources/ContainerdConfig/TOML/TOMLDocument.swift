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
struct TOMLDocument: Sendable {
    /// How a table came to exist; TOML forbids redefining tables across these forms.
    enum TableOrigin: Sendable, Equatable {
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
        /// `[[header]]`; `elements` holds one table node per occurrence.
        case arrayOfTables
        /// A non-table value (string, array, …).
        case value
    }

    struct Node: Sendable {
        var kind: Kind
        var children: [String: Int] = [:]
        var elements: [Int] = []
        var value: TOMLValue?
        /// 1-based line where the node was first created.
        var line: Int
    }

    /// A `[table]` or `[[array]]` header line.
    struct Header: Sendable {
        var path: [String]
        var isArray: Bool
        var line: Int
        /// Byte range of the header itself (from `[` to the closing bracket).
        var range: Range<Int>
    }

    /// A key/value pair.
    struct Entry: Sendable {
        /// Full path from the root (header path + dotted key).
        var path: [String]
        /// Index into `headers` of the section it belongs to, nil for the root section.
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

    var bytes: [UInt8]
    var nodes: [Node] = [Node(kind: .table(.header), line: 1)]
    var headers: [Header] = []
    var entries: [Entry] = []
    /// Byte offset where each line starts (line n starts at lineStarts[n-1]).
    var lineStarts: [Int] = [0]

    static let root = 0

    /// The node at `path`, following the last element of arrays of tables (like TOML headers do).
    func node(at path: [String]) -> Int? {
        var current = TOMLDocument.root
        for key in path {
            guard let next = nodes[current].children[key] else { return nil }
            current = next
            if nodes[current].kind == .arrayOfTables, let last = nodes[current].elements.last {
                current = last
            }
        }
        return current
    }

    /// The first node along `path` (including the full path) that is not an ordinary table the
    /// engine can add a sub-table to, with the reason.
    func obstacle(on path: [String]) -> (line: Int, reason: String)? {
        var current = TOMLDocument.root
        var walked: [String] = []
        for key in path {
            guard let next = nodes[current].children[key] else { return nil }
            walked.append(key)
            let node = nodes[next]
            switch node.kind {
            case .table(.inline):
                return (node.line, "\(TOMLKey.render(walked)) is written as an inline table, so no table can be added inside it")
            case .value:
                return (node.line, "\(TOMLKey.render(walked)) is a value, not a table")
            case .arrayOfTables:
                return (node.line, "\(TOMLKey.render(walked)) is an array of tables")
            case .table:
                current = next
            }
        }
        return nil
    }

    func value(at path: [String]) -> TOMLValue? {
        guard let node = node(at: path) else { return nil }
        return nodes[node].value
    }

    /// Root-level entry with the given key.
    func rootEntry(_ key: String) -> Entry? {
        entries.first { $0.header == nil && $0.path == [key] }
    }

    /// 1-based line of a byte offset.
    func line(of offset: Int) -> Int {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low + 1
    }

    /// Byte range of whole lines `first...last` including their line endings.
    func byteRange(lines first: Int, _ last: Int) -> Range<Int> {
        let start = lineStarts[first - 1]
        let end = last < lineStarts.count ? lineStarts[last] : bytes.count
        return start..<end
    }

    /// Plain Swift view of a table node (for tests and inspection).
    func plainValue(_ index: Int = TOMLDocument.root) -> TOMLValue {
        let node = nodes[index]
        switch node.kind {
        case .value:
            return node.value ?? .string("")
        case .arrayOfTables:
            return .array(node.elements.map { plainValue($0) })
        case .table:
            var dict: [String: TOMLValue] = [:]
            for (key, child) in node.children { dict[key] = plainValue(child) }
            return .inlineTable(dict)
        }
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
