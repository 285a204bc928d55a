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
    private let b: [UInt8]
    private var i = 0
    private var line = 1
    private var lineStart = 0
    private var doc: TOMLDocument
    /// Table node that key/values currently go into, and the header index of the section.
    private var currentTable = TOMLDocument.root
    private var currentPath: [String] = []
    private var currentHeader: Int?
    /// How many arrays / inline tables enclose the value being parsed. Values nest by recursion, so the
    /// depth is bounded: a hostile file gets a parse error, not a stack overflow.
    private var depth = 0
    /// Deeper than any real containerd config (which nests 2–3 levels in values); far below the stack limit.
    static let maxDepth = 100
    /// Components of one dotted key or header, for the same reason.
    static let maxKeyParts = 128

    static func parse(_ bytes: [UInt8]) throws(TOMLParseError) -> TOMLDocument {
        var parser = TOMLParser(bytes: bytes)
        try parser.run()
        return parser.doc
    }

    private init(bytes: [UInt8]) {
        b = bytes
        doc = TOMLDocument(bytes: bytes)
    }

    // MARK: errors and low-level helpers

    private func fail(_ reason: String, at offset: Int? = nil) -> TOMLParseError {
        let at = offset ?? i
        if at >= lineStart {
            return TOMLParseError(line: line, column: at - lineStart + 1, reason: reason)
        }
        let l = doc.line(of: at)
        return TOMLParseError(line: l, column: at - doc.lineStarts[l - 1] + 1, reason: reason)
    }

    private var atEnd: Bool { i >= b.count }
    private func peek(_ offset: Int = 0) -> UInt8? { i + offset < b.count ? b[i + offset] : nil }

    private mutating func newline() {
        line += 1
        lineStart = i
        doc.lineStarts.append(i)
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
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
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
        let headerIndex = doc.headers.count
        doc.headers.append(TOMLDocument.Header(path: path, isArray: isArray, line: headerLine, range: start..<i))

        // Walk all but the last key, creating implicit tables.
        var current = TOMLDocument.root
        for (n, key) in path.dropLast().enumerated() {
            if let next = doc.nodes[current].children[key] {
                switch doc.nodes[next].kind {
                case .table(.inline), .value:
                    throw fail("cannot define table \(TOMLKey.render(path)): \(TOMLKey.render(Array(path[...n]))) is already a value (line \(doc.nodes[next].line))", at: start)
                case .arrayOfTables:
                    current = doc.nodes[next].elements.last!
                case .table:
                    current = next
                }
            } else {
                current = addNode(.table(.implicit), key: key, in: current)
            }
        }
        let last = path[path.count - 1]
        if isArray {
            if let existing = doc.nodes[current].children[last] {
                guard doc.nodes[existing].kind == .arrayOfTables else {
                    throw fail("cannot define array of tables \(TOMLKey.render(path)): already defined at line \(doc.nodes[existing].line)", at: start)
                }
                let element = newNode(.table(.header))
                doc.nodes[existing].elements.append(element)
                currentTable = element
            } else {
                let array = addNode(.arrayOfTables, key: last, in: current)
                let element = newNode(.table(.header))
                doc.nodes[array].elements.append(element)
                currentTable = element
            }
        } else {
            if let existing = doc.nodes[current].children[last] {
                let node = doc.nodes[existing]
                guard node.kind == .table(.implicit) else {
                    throw fail("duplicate table \(TOMLKey.render(path)): already defined at line \(node.line)", at: start)
                }
                doc.nodes[existing].kind = .table(.header)
                doc.nodes[existing].line = headerLine
                currentTable = existing
            } else {
                currentTable = addNode(.table(.header), key: last, in: current)
            }
        }
        currentPath = path
        currentHeader = headerIndex
    }

    private mutating func newNode(_ kind: TOMLDocument.Kind) -> Int {
        doc.nodes.append(TOMLDocument.Node(kind: kind, line: line))
        return doc.nodes.count - 1
    }

    private mutating func addNode(_ kind: TOMLDocument.Kind, key: String, in parent: Int) -> Int {
        let index = newNode(kind)
        doc.nodes[parent].children[key] = index
        return index
    }

    private mutating func parseKeyValue() throws(TOMLParseError) {
        let start = i
        let firstLine = line
        let key = try parseKey()
        skipSpaces()
        guard peek() == UInt8(ascii: "=") else { throw fail("expected '=' after key \(TOMLKey.render(key))") }
        i += 1
        skipSpaces()
        let valueStart = i
        var lastElementEnd: Int?
        let value = try parseValue(arrayLastElementEnd: &lastElementEnd)
        let valueEnd = i

        // Insert into the tree.
        var table = currentTable
        for (n, part) in key.dropLast().enumerated() {
            if let next = doc.nodes[table].children[part] {
                // Like toml++: dotted keys may extend tables created by dotted keys, or implicitly
                // as parents of a header (which they then define), never explicitly defined ones.
                if doc.nodes[next].kind == .table(.implicit) { doc.nodes[next].kind = .table(.dotted) }
                guard doc.nodes[next].kind == .table(.dotted) else {
                    throw fail("cannot add \(TOMLKey.render(key)): \(TOMLKey.render(currentPath + key[...n])) is already defined at line \(doc.nodes[next].line)", at: start)
                }
                table = next
            } else {
                table = addNode(.table(.dotted), key: part, in: table)
                doc.nodes[table].line = firstLine
            }
        }
        let last = key[key.count - 1]
        if let existing = doc.nodes[table].children[last] {
            throw fail("duplicate key \(TOMLKey.render(currentPath + key)): already defined at line \(doc.nodes[existing].line)", at: start)
        }
        let node = addNode(.value, key: last, in: table)
        doc.nodes[node].line = firstLine
        doc.nodes[node].value = value
        if case .inlineTable(let dict) = value {
            doc.nodes[node].kind = .table(.inline)
            addInlineChildren(dict, to: node, line: firstLine)
        }
        var entry = TOMLDocument.Entry(path: currentPath + key, header: currentHeader, firstLine: firstLine,
                                       lastLine: line, range: start..<valueEnd, valueRange: valueStart..<valueEnd,
                                       value: value)
        if case .array = value {
            entry.arrayOpenBracket = valueStart
            entry.arrayLastElementEnd = lastElementEnd
        }
        doc.entries.append(entry)
    }

    private mutating func addInlineChildren(_ dict: [String: TOMLValue], to node: Int, line: Int) {
        for (key, value) in dict {
            let child = addNode(.value, key: key, in: node)
            doc.nodes[child].line = line
            doc.nodes[child].value = value
            if case .inlineTable(let inner) = value {
                doc.nodes[child].kind = .table(.inline)
                addInlineChildren(inner, to: child, line: line)
            }
        }
    }

    // MARK: keys

    private mutating func parseKey() throws(TOMLParseError) -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard let c = peek() else { throw fail("expected a key") }
            if c == UInt8(ascii: "\"") {
                if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") { throw fail("multi-line strings cannot be keys") }
                parts.append(try parseBasicString())
            } else if c == UInt8(ascii: "'") {
                if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") { throw fail("multi-line strings cannot be keys") }
                parts.append(try parseLiteralString())
            } else {
                let start = i
                while let c = peek(), TOMLParser.isBareKeyByte(c) { i += 1 }
                guard i > start else { throw fail("invalid character \(describe(c)) in key") }
                parts.append(String(decoding: b[start..<i], as: UTF8.self))
            }
            skipSpaces()
            guard parts.count < TOMLParser.maxKeyParts else {
                throw fail("key has more than \(TOMLParser.maxKeyParts) dotted parts")
            }
            if peek() == UInt8(ascii: ".") { i += 1; continue }
            return parts
        }
    }

    private static func isBareKeyByte(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
    }

    // MARK: values

    private mutating func parseValue(arrayLastElementEnd: inout Int?) throws(TOMLParseError) -> TOMLValue {
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
            let key = try parseKey()
            skipSpaces()
            guard peek() == UInt8(ascii: "=") else { throw fail("expected '=' in inline table") }
            i += 1
            skipSpaces()
            var ignored: Int?
            let value = try parseValue(arrayLastElementEnd: &ignored)
            guard TOMLParser.insert(value, at: key[...], into: &result, prefix: [], dotted: &dottedTables) else {
                throw fail("duplicate key \(TOMLKey.render(key)) in inline table", at: keyAt)
            }
            skipSpaces()
            guard let c = peek() else { throw fail("unterminated inline table", at: open) }
            if c == UInt8(ascii: ",") {
                i += 1
                skipSpaces()
                if peek() == UInt8(ascii: "}") { throw fail("trailing comma in inline table") }
                continue
            }
            if c == UInt8(ascii: "}") { i += 1; return .inlineTable(result) }
            throw fail("expected ',' or '}' in inline table, found \(describe(c))")
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
