import Testing

@testable import KubernetesClient

@Suite struct JSONLineFramerTests {
    static let events = [
        #"{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"1"}}}"#,
        #"{"type":"MODIFIED","object":{"metadata":{"name":"ünïcødé","resourceVersion":"2"}}}"#,
        #"{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"3"}}}"#,
    ]

    @Test func eventsSplitAtEveryByteOffsetAreFramedIdentically() throws {
        let stream = Array((Self.events.joined(separator: "\n") + "\n").utf8)
        let expected = Self.events.map { Array($0.utf8) }
        for first in 0...stream.count {
            for second in first...stream.count where second == first || second == stream.count || (second - first) % 7 == 0 {
                var framer = JSONLineFramer(maxFrameBytes: 1024)
                var frames: [[UInt8]] = []
                frames += try framer.append(stream[0..<first])
                frames += try framer.append(stream[first..<second])
                frames += try framer.append(stream[second...])
                if let last = try framer.finish() { frames.append(last) }
                #expect(frames == expected, "split at \(first), \(second)")
            }
        }
    }

    @Test func byteByByteDelivery() throws {
        var framer = JSONLineFramer(maxFrameBytes: 1024)
        var frames: [[UInt8]] = []
        for byte in (Self.events.joined(separator: "\r\n") + "\r\n").utf8 {
            frames += try framer.append([byte])
        }
        #expect(frames == Self.events.map { Array($0.utf8) })
        #expect(framer.pendingByteCount == 0)
    }

    @Test func blankLinesAreSkippedAndAFinalLineWithoutNewlineIsKept() throws {
        var framer = JSONLineFramer()
        let frames = try framer.append(Array("\n\n{\"a\":1}\n   \n{\"b\":2}".utf8))
        #expect(frames == [Array("{\"a\":1}".utf8)])
        #expect(try framer.finish() == Array("{\"b\":2}".utf8))
        #expect(try framer.finish() == nil)
    }

    @Test func oversizedEventFailsBeforeItsNewlineArrives() throws {
        var framer = JSONLineFramer(maxFrameBytes: 16)
        #expect(try framer.append(Array("{\"a\":\"0123456789\"}\n".prefix(10).utf8)).isEmpty)
        #expect(throws: KubernetesClientError.self) {
            _ = try framer.append(Array(String(repeating: "x", count: 20).utf8))
        }
    }

    @Test func oversizedCompleteEventInOneChunkFails() {
        var framer = JSONLineFramer(maxFrameBytes: 8)
        do {
            _ = try framer.append(Array("{\"small\":1}\n".utf8))
            Issue.record("expected eventTooLarge")
        } catch {
            #expect(error.code == .eventTooLarge)
        }
    }

    @Test func eventOfExactlyTheLimitIsAccepted() throws {
        var framer = JSONLineFramer(maxFrameBytes: 7)
        #expect(try framer.append(Array("{\"a\":1}\n".utf8)) == [Array("{\"a\":1}".utf8)])
    }
}

@Suite struct JSONLineFramerFailureTests {
    @Test func goodFramesBeforeAnOversizedOneAreDeliveredFirst() throws {
        var framer = JSONLineFramer(maxFrameBytes: 10)
        let frames = try framer.append(Array("{\"a\":1}\n{\"b\":\"0123456789\"}\n{\"c\":3}\n".utf8))
        #expect(frames == [Array("{\"a\":1}".utf8)])
        #expect(throws: KubernetesClientError.self) { _ = try framer.append(Array("{}\n".utf8)) }
        #expect(throws: KubernetesClientError.self) { _ = try framer.finish() }
    }

    @Test func oversizedLineWithoutNewlineFailsAsSoonAsItCrossesTheLimit() throws {
        var framer = JSONLineFramer(maxFrameBytes: 10)
        #expect(try framer.append(Array("{\"b\":1234".utf8)).isEmpty)
        #expect(throws: KubernetesClientError.self) { _ = try framer.append(Array("5}".utf8)) }
        #expect(throws: KubernetesClientError.self) { _ = try framer.finish() }
    }
}
