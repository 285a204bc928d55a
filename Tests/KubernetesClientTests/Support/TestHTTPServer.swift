import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A tiny in-process HTTP(S) server on 127.0.0.1 (or another loopback address), port 0, answering with a closure.
/// Used for transport-level tests (TLS, retries, re-authentication) that need exact control.
final class TestHTTPServer: Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)]
        /// Sent as separate writes, so tests can split a body into chunks.
        var chunks: [[UInt8]]
        /// Close the connection instead of answering.
        var closeConnection = false

        static let close: Response = {
            var response = Response(body: "")
            response.closeConnection = true
            return response
        }()

        init(status: Int = 200, headers: [(String, String)] = [("Content-Type", "application/json")], body: String) {
            self.status = status
            self.headers = headers
            self.chunks = [Array(body.utf8)]
        }

        init(status: Int = 200, headers: [(String, String)] = [("Content-Type", "application/json")], chunks: [[UInt8]]) {
            self.status = status
            self.headers = headers
            self.chunks = chunks
        }
    }

    typealias Handler = @Sendable (Request) -> Response

    private let channel: any Channel
    let port: Int
    private let log = NIOLockedValueBox<[Request]>([])

    var requests: [Request] { log.withLockedValue { $0 } }

    init(host: String = "127.0.0.1", tls: TLSConfiguration? = nil, handler: @escaping Handler) async throws {
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        let log = self.log
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(handler: handler, log: log))
                }
            }
            .bind(host: host, port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    func shutdown() async {
        try? await channel.close()
    }

    private final class Responder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let handler: Handler
        let log: NIOLockedValueBox<[Request]>
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(handler: @escaping Handler, log: NIOLockedValueBox<[Request]>) {
            self.handler = handler
            self.log = log
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                let request = Request(
                    method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                    body: body)
                log.withLockedValue { $0.append(request) }
                let response = handler(request)
                if response.closeConnection {
                    context.close(promise: nil)
                    return
                }
                var headers = HTTPHeaders(response.headers)
                headers.add(name: "Content-Length", value: String(response.chunks.reduce(0) { $0 + $1.count }))
                context.write(
                    wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: response.status), headers: headers))),
                    promise: nil)
                for chunk in response.chunks {
                    context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: chunk)))), promise: nil)
                }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                self.head = nil
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
