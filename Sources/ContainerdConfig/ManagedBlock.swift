/// The delimited region the engine owns inside a host file, and the byte-exact text operations on it.
///
/// The block is always appended at the end, preceded by exactly one line ending (which both
/// terminates a last line lacking a newline and otherwise leaves one blank line). Removing it removes
/// that line ending again, so a file nobody else touched returns to its exact original bytes,
/// including a missing trailing newline and CRLF endings.
enum ManagedBlock {
    static let begin = "# --- BEGIN kwasm-operator managed block (do not edit) ---"
    static let end = "# --- END kwasm-operator managed block ---"
    /// Metadata lines inside the block start with this.
    static let metaPrefix = "# kwasm-operator: "
    /// Lines of a user's runtime definition that take-over commented out start with this.
    static let takeOverPrefix = "# kwasm-operator took over: "

    /// Facts recorded in the block's metadata lines.
    struct Metadata: Equatable {
        /// The file did not exist; uninstall deletes it when the rest still hashes to `createdBase`.
        var createdBase: String?
        /// We inserted this exact text into the root `imports` array (`entry`) or added the whole `imports` line.
        var importsEntry: String?
        var importsLine: String?
    }

    struct Found {
        /// Byte range of the block from the BEGIN line start to the END line's end (incl. line ending).
        var range: Range<Int>
        var metadata: Metadata
    }

    static func lineEnding(of bytes: some RandomAccessCollection<UInt8>) -> String {
        guard let newline = bytes.firstIndex(of: 0x0A) else { return "\n" }
        return newline > bytes.startIndex && bytes[bytes.index(before: newline)] == 0x0D ? "\r\n" : "\n"
    }

    /// Locates the block. nil when absent.
    static func find(in bytes: [UInt8], file: String) throws(ConfigError) -> Found? {
        let beginBytes = Array(begin.utf8), endBytes = Array(end.utf8)
        var beginAt: Int?
        var beginLine = 0
        var endRange: Range<Int>?
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var stop = start
            while stop < bytes.count, bytes[stop] != 0x0A { stop += 1 }
            let next = stop < bytes.count ? stop + 1 : stop
            var content = start..<stop
            if content.count > 0, bytes[content.upperBound - 1] == 0x0D { content = start..<(stop - 1) }
            if content.count == beginBytes.count, bytes[content].elementsEqual(beginBytes) {
                if beginAt != nil {
                    throw ConfigError(.damagedManagedBlock, file: file, line: lineNumber,
                                      reason: "second kwasm-operator managed block begins here; expected exactly one")
                }
                beginAt = start
                beginLine = lineNumber
            } else if content.count == endBytes.count, bytes[content].elementsEqual(endBytes) {
                guard beginAt != nil, endRange == nil else {
                    throw ConfigError(.damagedManagedBlock, file: file, line: lineNumber,
                                      reason: "kwasm-operator END marker without a matching BEGIN marker")
                }
                endRange = start..<next
            }
            start = next
        }
        guard let beginAt else { return nil }
        guard let endRange else {
            throw ConfigError(.damagedManagedBlock, file: file, line: beginLine,
                              reason: "kwasm-operator managed block has no END marker")
        }
        let text = String(decoding: bytes[beginAt..<endRange.upperBound], as: UTF8.self)
        var metadata = Metadata()
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            guard line.hasPrefix(metaPrefix) else { continue }
            let fact = line.dropFirst(metaPrefix.count)
            if let value = field(fact, "created base=") { metadata.createdBase = value }
            if let value = field(fact, "imports-entry ") { metadata.importsEntry = value }
            if let value = field(fact, "imports-line ") { metadata.importsLine = value }
        }
        return Found(range: beginAt..<endRange.upperBound, metadata: metadata)
    }

    private static func field(_ fact: Substring, _ key: String) -> String? {
        fact.hasPrefix(key) ? String(fact.dropFirst(key.count)) : nil
    }

    /// The file without the block and without the line ending added in front of it, indexed from 0: a prefix
    /// of `bytes` (no copy) when the block is at the end, as we write it.
    static func remove(_ found: Found, from bytes: [UInt8]) -> ArraySlice<UInt8> {
        var cut = found.range.lowerBound
        let after = bytes[found.range.upperBound...]
        var separator = 0
        if cut > 0, bytes[cut - 1] == 0x0A { separator = cut >= 2 && bytes[cut - 2] == 0x0D ? 2 : 1 }
        if separator > 0 {
            // Remove the separator we added: always at end of file; in the middle only if it
            // formed a blank line (otherwise it now ends a user's line).
            let restLast = cut > separator ? bytes[cut - separator - 1] : nil
            if after.isEmpty || restLast == 0x0A { cut -= separator }
        }
        if after.isEmpty { return bytes[..<cut] }
        var joined = Array(bytes[..<cut])
        joined.append(contentsOf: after)
        return joined[...]
    }

    /// `bytes` (which must not contain a block) with `body` appended as a block.
    static func append(body: [String], metadata: [String], to bytes: [UInt8]) -> [UInt8] {
        bytes + block(body: body, metadata: metadata, after: bytes)
    }

    /// Whether `file` is exactly `bytes + block`, compared in place.
    static func isAppended(_ block: [UInt8], to bytes: ArraySlice<UInt8>, in file: [UInt8]) -> Bool {
        file.count == bytes.count + block.count && file.starts(with: bytes) && file[bytes.count...].elementsEqual(block)
    }

    /// What ``append(body:metadata:to:)`` adds after `bytes`.
    static func block(body: [String], metadata: [String], after bytes: some RandomAccessCollection<UInt8>) -> [UInt8] {
        let newline = lineEnding(of: bytes)
        var text = bytes.isEmpty ? "" : newline
        text += begin + newline
        for fact in metadata { text += metaPrefix + fact + newline }
        for line in body { text += line + newline }
        text += end + newline
        return Array(text.utf8)
    }

    /// Comments out whole lines (1-based numbers) with ``takeOverPrefix``: take-over of a user's runtime.
    /// `bytes` are indexed from 0.
    static func commentOut(lines: Set<Int>, in bytes: ArraySlice<UInt8>) -> [UInt8] {
        let prefix = Array(takeOverPrefix.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + lines.count * prefix.count)
        var lineNumber = 1
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            if end < bytes.count { end += 1 }
            if lines.contains(lineNumber) { out += prefix }
            out += bytes[start..<end]
            lineNumber += 1
            start = end
        }
        return out
    }

    /// Reverts lines that take-over commented out.
    static func restoreTakenOverLines(_ bytes: [UInt8]) -> [UInt8] {
        let prefix = Array(takeOverPrefix.utf8)
        guard bytes.count >= prefix.count else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var lineStart = true
        var index = 0
        while index < bytes.count {
            if lineStart, bytes[index] == prefix[0], index + prefix.count <= bytes.count,
               bytes[index..<(index + prefix.count)].elementsEqual(prefix) {
                index += prefix.count
                lineStart = false
                continue
            }
            out.append(bytes[index])
            lineStart = bytes[index] == 0x0A
            index += 1
        }
        return out
    }

    /// 64-bit FNV-1a, hex: identifies the defaults a created file started from.
    static func digest(_ bytes: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
