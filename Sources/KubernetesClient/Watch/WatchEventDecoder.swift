import Foundation

/// Decodes one framed watch event: `{"type": "ADDED", "object": {...}}`, in a single JSON parse.
public enum WatchEventDecoder {
    public static func decode<R: KubernetesResource>(_ type: R.Type, frame: [UInt8]) throws -> WatchEvent<R> {
        try decode(type, frame: frame, decoder: JSONDecoder())
    }

    /// Decodes with `decoder` (e.g. one that leaves `spec` out, see ``WatchOptions/decodesSpec``).
    static func decode<R: KubernetesResource>(_ type: R.Type, frame: [UInt8], decoder: JSONDecoder) throws -> WatchEvent<R> {
        do {
            var event = try decoder.decode(Wire<R>.self, from: Data(frame)).event
            switch event {
            case .added(var object):
                object.fillTypeMeta()
                event = .added(object)
            case .modified(var object):
                object.fillTypeMeta()
                event = .modified(object)
            case .deleted(var object):
                object.fillTypeMeta()
                event = .deleted(object)
            case .bookmark, .error:
                break
            }
            return event
        } catch {
            let preview = String(decoding: frame.prefix(200), as: UTF8.self)
            throw KubernetesClientError(.decoding, "watch event for \(R.resource.kind) did not decode: \(error) (\(preview))")
        }
    }

    /// Reads `type` first, then decodes `object` as what that type promises.
    private struct Wire<R: KubernetesResource>: Decodable {
        var event: WatchEvent<R>

        enum CodingKeys: String, CodingKey {
            case type, object
        }

        /// A bookmark's object carries only `metadata.resourceVersion` (and annotations).
        struct BookmarkObject: Decodable {
            var metadata: ObjectMeta?
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            switch try container.decode(WatchEventType.self, forKey: .type) {
            case .added: event = .added(try container.decode(R.self, forKey: .object))
            case .modified: event = .modified(try container.decode(R.self, forKey: .object))
            case .deleted: event = .deleted(try container.decode(R.self, forKey: .object))
            case .bookmark:
                let object = try container.decode(BookmarkObject.self, forKey: .object)
                event = .bookmark(resourceVersion: object.metadata?.resourceVersion ?? "")
            case .error: event = .error(try container.decode(Status.self, forKey: .object))
            }
        }
    }
}
