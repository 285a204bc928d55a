import Foundation

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
