/// A planned file's bytes as consecutive parts over buffers that already exist: "the file read from disk + our
/// block" or "a prefix of that file" is written part by part, never copied into one more array of the file's
/// size (issue 14, item 13). Indexed from 0 like one array.
public struct FileBytes: Sendable, Hashable, RandomAccessCollection {
    public private(set) var parts: [ArraySlice<UInt8>]
    public let count: Int

    public init(parts: [ArraySlice<UInt8>]) {
        self.parts = parts.filter { !$0.isEmpty }
        count = parts.reduce(0) { $0 + $1.count }
    }

    public init(_ bytes: [UInt8]) {
        self.init(parts: [bytes[...]])
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> UInt8 {
        var offset = position
        for part in parts {
            if offset < part.count { return part[part.startIndex + offset] }
            offset -= part.count
        }
        preconditionFailure("FileBytes index \(position) out of range 0..<\(count)")
    }

    /// All bytes in one array (a copy unless there is a single whole-array part).
    public var joined: [UInt8] {
        if parts.count == 1, let only = parts.first, only.startIndex == 0 { return Array(only) }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for part in parts { out += part }
        return out
    }

    /// Whether these are exactly `bytes`, compared part by part in place.
    public func equals(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == count else { return false }
        var offset = 0
        for part in parts {
            guard bytes[offset..<(offset + part.count)].elementsEqual(part) else { return false }
            offset += part.count
        }
        return true
    }

    public static func == (lhs: FileBytes, rhs: FileBytes) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
    }
}
