import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The HTTP/1.1 front of the fake: accepts connections (optionally TLS with client-certificate
/// verification), reads whole requests, and writes answers — full bodies, or chunked watch
/// streams that end on timeout, on a dropped connection or on shutdown.
final class HTTPServer: @unchecked Sendable {
    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private let lock = NSLock()
    private var serverChannel: NIOAsyncChannel<Connection, Never>?
    private var acceptTask: Task<Void, Never>?
    private var bookmarkTask: Task<Void, Never>?
    private var connections: [ObjectIdentifier: any Channel] = [:]
    private var url = ""
    private var shuttingDown = false

    var baseURL: String { lock.withLock { url } }

    func start(host: String, port: Int, tls: FakeAPIServer.TLSFiles?, api: FakeAPIServer) async throws -> Int {
        let sslContext = try tls.map(Self.makeSSLContext)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        let boundPort = channel.channel.localAddress?.port ?? port
        let hostText = host.contains(":") ? "[\(host)]" : host
        lock.withLock {
            serverChannel = channel
            url = "\(tls == nil ? "http" : "https")://\(hostText):\(boundPort)"
        }
        let accept = Task {
            await withDiscardingTaskGroup { group in
                do {
                    try await channel.executeThenClose { inbound in
                        for try await connection in inbound {
                            group.addTask { await self.serve(connection, api: api) }
                        }
                    }
                } catch {
                    // Listener closed.
                }
            }
        }
        let interval = api.options.bookmarkInterval
        let bookmarks = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                api.store.sendBookmarks()
            }
        }
        lock.withLock {
            acceptTask = accept
            bookmarkTask = bookmarks
        }
        return boundPort
    }

    func shutdown() async {
        // Connections registering after this point close themselves (see `serve`), so none is
        // left open to keep the accept loop waiting.
        let (server, open, accept, bookmarks) = lock.withLock {
            shuttingDown = true
            return (serverChannel, Array(connections.values), acceptTask, bookmarkTask)
        }
        bookmarks?.cancel()
        try? await server?.channel.close()
        for connection in open { try? await connection.close() }
        await accept?.value
        lock.withLock {
            serverChannel = nil
            acceptTask = nil
            bookmarkTask = nil
            shuttingDown = false
        }
    }

    private static func makeSSLContext(_ files: FakeAPIServer.TLSFiles) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificateChainPath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: files.privateKeyPath, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        if let ca = files.clientCAPath {
            configuration.trustRoots = .file(ca)
            configuration.certificateVerification = .noHostnameVerification
        }
        return try NIOSSLContext(configuration: configuration)
    }

    // MARK: One connection

    private func serve(_ connection: Connection, api: FakeAPIServer) async {
        let channel = connection.channel
        let id = ObjectIdentifier(channel)
        let accepted = lock.withLock {
            if shuttingDown { return false }
            connections[id] = channel
            return true
        }
        if !accepted {
            try? await channel.close()
            return
        }
        defer { _ = lock.withLock { connections.removeValue(forKey: id) } }
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let h):
                        head = h
                        body = []
                    case .body(var buffer):
                        body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        let request = HTTPRequest(
                            method: requestHead.method.rawValue, uri: requestHead.uri,
                            headers: requestHead.headers.map { ($0.name, $0.value) }, body: body)
                        let answer = await api.answer(request) { channel.close(mode: .all, promise: nil) }
                        let keepOpen = try await self.write(
                            answer, keepAlive: requestHead.isKeepAlive, outbound: outbound, channel: channel)
                        if !keepOpen { return }
                    }
                }
            }
        } catch {
            // The peer went away or the connection was dropped on purpose.
        }
    }

    /// Writes an answer; returns whether the connection may serve another request.
    private func write(
        _ answer: HTTPAnswer, keepAlive: Bool, outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        channel: any Channel
    ) async throws -> Bool {
        switch answer {
        case .response(let status, let extra, let body):
            var headers = HTTPHeaders(extra)
            headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
            headers.replaceOrAdd(name: "Cache-Control", value: "no-cache, private")
            if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
            let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
            try await outbound.write(contentsOf: [
                .head(head), .body(.byteBuffer(ByteBuffer(bytes: body))), .end(nil),
            ])
            return keepAlive
        case .watch(let stream, let timeout, let cancel):
            channel.closeFuture.whenComplete { _ in cancel() }
            let timer = timeout.map { duration in
                Task {
                    try? await Task.sleep(for: duration)
                    if !Task.isCancelled { cancel() }
                }
            }
            defer {
                timer?.cancel()
                cancel()
            }
            var headers = HTTPHeaders([("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")])
            headers.add(name: "Cache-Control", value: "no-cache, private")
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
            for await line in stream {
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: line))))
            }
            guard channel.isActive else { return false }
            try await outbound.write(.end(nil))
            return keepAlive
        case .hang:
            try? await channel.closeFuture.get()
            return false
        case .closeConnection:
            return false
        }
    }
}
