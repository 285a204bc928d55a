/// Splits a byte stream into newline-delimited JSON documents, whatever the chunk boundaries.
///
/// Memory is bounded: a document longer than `maxFrameBytes` (before its newline arrives) is an
/// error instead of growing the buffer without limit. Blank lines are skipped; `\r\n` is accepted.
public struct JSONLineFramer: Sendable {
    public let maxFrameBytes: Int
    private var buffer: [UInt8] = []
    /// Bytes of `buffer` already scanned for a newline (so each byte is scanned once).
    private var scanned = 0
    /// Set once a frame was too large; the stream cannot be resynchronised after that.
    private var failure: KubernetesClientError?

    public init(maxFrameBytes: Int = 16 * 1024 * 1024) {
        precondition(maxFrameBytes > 0)
        self.maxFrameBytes = maxFrameBytes
    }

    /// Bytes received but not yet part of a complete frame.
    public var pendingByteCount: Int { buffer.count }

    /// Adds a chunk and returns the frames it completed, in order.
    ///
    /// When the chunk also holds an oversized frame, the frames before it are returned first and the
    /// `eventTooLarge` error is thrown by the next call, so no complete event is lost.
    public mutating func append(_ chunk: some Sequence<UInt8>) throws(KubernetesClientError) -> [[UInt8]] {
        if let failure { throw failure }
        buffer.append(contentsOf: chunk)
        var frames: [[UInt8]] = []
        var start = 0
        var searchFrom = scanned
        while let newline = buffer[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) {
            if let frame = Self.trimmed(buffer[start..<newline]) {
                if let error = tooLarge(frame.count) { return try fail(error, after: frames) }
                frames.append(frame)
            }
            start = newline + 1
            searchFrom = start
        }
        if start > 0 { buffer.removeFirst(start) }
        scanned = buffer.count
        // Cheap test first: only a buffer longer than the limit can hold an oversized frame.
        if buffer.count > maxFrameBytes, let partialLength = Self.trimmedLength(buffer[...]),
            let error = tooLarge(partialLength)
        {
            return try fail(error, after: frames)
        }
        return frames
    }

    /// Ends the stream: returns a final frame that had no trailing newline, if any.
    public mutating func finish() throws(KubernetesClientError) -> [UInt8]? {
        if let failure { throw failure }
        defer {
            buffer = []
            scanned = 0
        }
        guard let last = Self.trimmed(buffer[...]) else { return nil }
        if let error = tooLarge(last.count) { throw error }
        return last
    }

    private func tooLarge(_ length: Int) -> KubernetesClientError? {
        guard length > maxFrameBytes else { return nil }
        return KubernetesClientError(.eventTooLarge, "a watch event exceeds the limit of \(maxFrameBytes) bytes")
    }

    /// Stops framing for good: throws now, or returns the good frames and throws on the next call.
    private mutating func fail(_ error: KubernetesClientError, after frames: [[UInt8]]) throws(KubernetesClientError) -> [[UInt8]] {
        failure = error
        buffer = []
        scanned = 0
        if frames.isEmpty { throw error }
        return frames
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
            let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return nil }
        return Array(bytes[first...last])
    }

    private static func trimmedLength(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard let first = bytes.firstIndex(where: { !isSpace($0) }) else { return nil }
        return bytes.endIndex - first
    }
}
