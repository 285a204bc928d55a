/// One event of a watch stream.
public enum WatchEvent<Object: KubernetesResource>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// A progress marker: everything up to this resourceVersion has been sent.
    case bookmark(resourceVersion: String)
    /// The server ended the watch with an error (a 410 `Expired` means: relist).
    case error(Status)

    public var type: WatchEventType {
        switch self {
        case .added: .added
        case .modified: .modified
        case .deleted: .deleted
        case .bookmark: .bookmark
        case .error: .error
        }
    }

    /// The object of added/modified/deleted events.
    public var object: Object? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object
        case .bookmark, .error: nil
        }
    }

    /// The resourceVersion to resume a watch from after this event, if it carries one.
    public var resourceVersion: String? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object.metadata.resourceVersion
        case .bookmark(let resourceVersion): resourceVersion
        case .error: nil
        }
    }
}

extension WatchEvent: Equatable where Object: Equatable {}
extension WatchEvent: Hashable where Object: Hashable {}

/// The `type` field of a watch event on the wire.
public enum WatchEventType: String, Sendable, Hashable, Codable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
    case bookmark = "BOOKMARK"
    case error = "ERROR"
}
