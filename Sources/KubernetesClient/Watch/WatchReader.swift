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

    init(transport: HTTPTransport, request: APIRequest, timeout: Duration, maxEventBytes: Int) {
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
                return try WatchEventDecoder.decode(R.self, frame: frame)
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

/// Decodes one framed watch event: `{"type": "ADDED", "object": {...}}`.
public enum WatchEventDecoder {
    private struct Envelope: Decodable {
        var type: WatchEventType
    }

    private struct TypedEnvelope<Object: Decodable>: Decodable {
        var object: Object
    }

    private struct Bookmark: Decodable {
        var object: Object
        struct Object: Decodable {
            var metadata: ObjectMeta?
        }
    }

    public static func decode<R: KubernetesResource>(_ type: R.Type, frame: [UInt8]) throws -> WatchEvent<R> {
        let data = Data(frame)
        let decoder = JSONDecoder()
        do {
            let envelope = try decoder.decode(Envelope.self, from: data)
            switch envelope.type {
            case .added, .modified, .deleted:
                var object = try decoder.decode(TypedEnvelope<R>.self, from: data).object
                object.fillTypeMeta()
                switch envelope.type {
                case .added: return .added(object)
                case .modified: return .modified(object)
                default: return .deleted(object)
                }
            case .bookmark:
                let bookmark = try decoder.decode(Bookmark.self, from: data)
                return .bookmark(resourceVersion: bookmark.object.metadata?.resourceVersion ?? "")
            case .error:
                return .error(try decoder.decode(TypedEnvelope<Status>.self, from: data).object)
            }
        } catch {
            let preview = String(decoding: frame.prefix(200), as: UTF8.self)
            throw KubernetesClientError(.decoding, "watch event for \(R.resource.kind) did not decode: \(error) (\(preview))")
        }
    }
}
