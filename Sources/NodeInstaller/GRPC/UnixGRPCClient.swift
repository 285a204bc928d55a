import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix

/// A failed gRPC call: transport problem, deadline, or a non-zero `grpc-status`.
public struct GRPCCallError: Error, Sendable, CustomStringConvertible {
    /// gRPC status code (12 = UNIMPLEMENTED, 14 = UNAVAILABLE, 4 = DEADLINE_EXCEEDED).
    public var status: Int
    public var message: String
    public var description: String { "gRPC status \(status): \(message)" }

    public static let unimplemented = 12
    public static let unavailable = 14
    public static let deadlineExceeded = 4
}

/// A minimal unary gRPC client over a unix socket: HTTP/2 with prior knowledge (h2c), 5-byte
/// length-prefixed messages, `te: trailers`, status from the `grpc-status` trailer. Enough to ask
/// containerd its version and the CRI runtime status without a generated client.
public struct UnixGRPCClient: Sendable {
    public var socketPath: String

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// Calls `path` (e.g. `/containerd.services.version.v1.Version/Version`) with an encoded request
    /// and returns the encoded response, within `timeout`.
    public func unary(path: String, request: [UInt8], timeout: Duration = .seconds(5)) async throws -> [UInt8] {
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            group.addTask { try await self.call(path: path, request: request, timeout: timeout) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw GRPCCallError(status: GRPCCallError.deadlineExceeded, message: "\(path): no answer within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    private func call(path: String, request: [UInt8], timeout: Duration) async throws -> [UInt8] {
        let (channel, multiplexer): (Channel, NIOHTTP2Handler.AsyncStreamMultiplexer<Void>)
        do {
            (channel, multiplexer) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(2))
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let mux = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(mode: .client) { stream in
                            stream.eventLoop.makeSucceededVoidFuture()
                        }
                        return (channel, mux)
                    }
                }
        } catch {
            throw GRPCCallError(status: GRPCCallError.unavailable, message: "cannot connect to \(socketPath): \(error)")
        }
        defer { channel.close(promise: nil) }

        let stream = try await multiplexer.openStream { streamChannel in
            streamChannel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<HTTP2Frame.FramePayload, HTTP2Frame.FramePayload>(wrappingChannelSynchronously: streamChannel)
            }
        }
        var headers = HPACKHeaders()
        headers.add(name: ":method", value: "POST")
        headers.add(name: ":scheme", value: "http")
        headers.add(name: ":path", value: path)
        headers.add(name: ":authority", value: "localhost")
        headers.add(name: "content-type", value: "application/grpc")
        headers.add(name: "te", value: "trailers")
        headers.add(name: "grpc-timeout", value: "\(max(1, timeout.components.seconds))S")

        var body = ByteBuffer()
        body.writeInteger(UInt8(0))
        body.writeInteger(UInt32(request.count))
        body.writeBytes(request)

        var data = ByteBuffer()
        var metadata: [(String, String)] = []
        try await stream.executeThenClose { inbound, outbound in
            try await outbound.write(.headers(.init(headers: headers)))
            try await outbound.write(.data(.init(data: .byteBuffer(body), endStream: true)))
            loop: for try await frame in inbound {
                switch frame {
                case .headers(let h):
                    for (name, value, _) in h.headers { metadata.append((name, value)) }
                    if h.endStream { break loop }
                case .data(let d):
                    if case .byteBuffer(var buffer) = d.data { data.writeBuffer(&buffer) }
                    if d.endStream { break loop }
                case .rstStream(let code):
                    throw GRPCCallError(status: GRPCCallError.unavailable, message: "\(path): stream reset (\(code))")
                default:
                    continue
                }
            }
        }
        if let httpStatus = metadata.first(where: { $0.0 == ":status" })?.1, httpStatus != "200" {
            throw GRPCCallError(status: GRPCCallError.unavailable, message: "\(path): HTTP status \(httpStatus)")
        }
        let status = Int(metadata.last(where: { $0.0 == "grpc-status" })?.1 ?? "") ?? 2
        guard status == 0 else {
            let message = metadata.last(where: { $0.0 == "grpc-message" })?.1 ?? ""
            throw GRPCCallError(status: status, message: "\(path): \(message.removingPercentEncodingIfPossible)")
        }
        guard let flag: UInt8 = data.readInteger(), let length: UInt32 = data.readInteger(),
              let message = data.readBytes(length: Int(length))
        else {
            return []
        }
        guard flag == 0 else { throw GRPCCallError(status: 13, message: "\(path): compressed responses are not supported") }
        return message
    }
}

extension String {
    var removingPercentEncodingIfPossible: String {
        var bytes: [UInt8] = []
        var iterator = Array(utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
               let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
