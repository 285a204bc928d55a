/// What a ``Watcher`` tells its consumer.
public enum WatcherEvent<Object: Sendable>: Sendable {
    /// A complete (re)list finished: these are all objects that exist now. Anything a consumer
    /// knew about that is not in the list was deleted while we were not watching.
    case restarted([Object])
    /// The object was created or changed.
    case applied(Object)
    /// The object was deleted; this is its last known state.
    case deleted(Object)
}

extension WatcherEvent {
    /// The objects carried by the event.
    public var objects: [Object] {
        switch self {
        case .restarted(let objects): return objects
        case .applied(let object), .deleted(let object): return [object]
        }
    }
}
