import AsyncHTTPClient
import Foundation
import NIOCore

/// Pull-based reader behind ``KubernetesClient/watch(_:namespace:options:)``: opens the request on
/// the first `next()`, frames the body into JSON lines and decodes each into a ``WatchEvent``.
///
/// `AsyncThrowingStream(unfolding:)` calls `next()` strictly one at a time, which is what makes the
/// unchecked mutable state safe.
final class WatchReader<R: KubernetesResource>: @unchecked Sendable {
    private let transport: HTTPTransport
    private let request: APIRequest
    private let timeout: Duration
    private var framer: JSONLineFramer
    private var body: HTTPClientResponse.Body.AsyncIterator?
    private var pending: [[UInt8]] = []
    private var pendingIndex = 0
    private var finished = false
    private let decoder: JSONDecoder

    init(transport: HTTPTransport, request: APIRequest, timeout: Duration, maxEventBytes: Int, decodesSpec: Bool = true) {
        self.decoder = JSONDecoder.kubernetes(decodesSpec: decodesSpec)
        self.transport = transport
        self.request = request
        self.timeout = timeout
        self.framer = JSONLineFramer(maxFrameBytes: maxEventBytes)
    }

    func next() async throws -> WatchEvent<R>? {
        while true {
            if pendingIndex < pending.count {
                let frame = pending[pendingIndex]
                pendingIndex += 1
                return try WatchEventDecoder.decode(R.self, frame: frame, decoder: decoder)
            }
            pending = []
            pendingIndex = 0
            if finished { return nil }
            if body == nil {
                let response = try await transport.open(request, timeout: timeout)
                body = response.body.makeAsyncIterator()
            }
            let chunk: ByteBuffer?
            do {
                chunk = try await body!.next()
            } catch {
                finished = true
                if error is CancellationError { throw error }
                throw KubernetesClientError(.transport, "watch \(request.path): stream failed: \(error)")
            }
            if let chunk {
                pending = try framer.append(chunk.readableBytesView)
            } else {
                finished = true
                body = nil
                if let last = try framer.finish() { pending = [last] }
            }
        }
    }
}
