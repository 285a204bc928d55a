/// The list-then-watch protocol of a watcher, as a pure value.
///
/// It lists (following `continue` tokens), then watches from the list's resourceVersion with
/// bookmarks. A watch that ends normally (the server's timeout) resumes from the last
/// resourceVersion seen, bookmarks included. A failed request or dropped connection waits with
/// backoff and retries the same step. 410 Gone (from the watch request, from an ERROR event or
/// from an expired `continue` token) and any other ERROR event discard what we know and relist,
/// after backoff. The backoff is reset by every watch event, so a healthy watch always retries
/// quickly; a watch that ends without delivering anything counts as a failure.
///
/// The owner (``Watcher``) performs each ``Action`` and reports the outcome through the
/// matching `mutating` method, which returns the next action.
public struct WatcherStateMachine<Object: Sendable>: Sendable {
    /// What the owner must do next.
    public enum Action: Sendable {
        /// Request one list page (`nil`: the first page), then call ``listPageReceived(_:continue:resourceVersion:)``
        /// or ``requestFailed(_:)``.
        case list(continue: String?)
        /// Deliver the event, then open a watch from `resourceVersion`.
        case emitAndWatch(WatcherEvent<Object>, resourceVersion: String)
        /// Open a watch from `resourceVersion`; report each event with ``watchEventReceived(_:)``
        /// and the end of the stream with ``watchEnded()`` or ``requestFailed(_:)``.
        case watch(resourceVersion: String)
        /// Deliver the event and keep reading the watch stream.
        case emit(WatcherEvent<Object>)
        /// Nothing to deliver (a bookmark); keep reading the watch stream.
        case keepWatching
        /// Abandon the current request or stream, sleep, then call ``backoffElapsed()``.
        case wait(Duration)
    }

    /// One event read from a watch stream.
    public enum WatchInput: Sendable {
        case added(Object, resourceVersion: String?)
        case modified(Object, resourceVersion: String?)
        case deleted(Object, resourceVersion: String?)
        case bookmark(resourceVersion: String)
        /// An ERROR event; `code` is the Status code in it (410 for an expired resourceVersion).
        case error(code: Int?)
    }

    /// Why a request failed, as far as the watcher cares.
    public enum Failure: Sendable, Equatable {
        /// 410 Gone / Expired: our resourceVersion or continue token is too old.
        case gone
        /// Anything else: connection errors, 5xx, 429, timeouts.
        case transient
    }

    enum State: Sendable {
        case idle
        /// Listing; `pages` holds the objects of the pages received so far.
        case listing(continue: String?, pages: [Object])
        /// Watching; `sawEvent` says whether this stream delivered anything yet.
        case watching(resourceVersion: String, sawEvent: Bool)
        /// Waiting before `retry`.
        case backingOff(retry: Retry)
    }

    enum Retry: Sendable {
        case relist
        case listPage(continue: String?, pages: [Object])
        case watch(resourceVersion: String)
    }

    private(set) var state: State = .idle
    public private(set) var backoff: Backoff

    public init(backoff: Backoff = .watcherDefault()) {
        self.backoff = backoff
    }

    /// The resourceVersion a resumed watch would start from, if the watcher has one.
    public var lastResourceVersion: String? {
        switch state {
        case .watching(let version, _), .backingOff(retry: .watch(let version)): return version
        default: return nil
        }
    }

    /// Begin: always with a full list.
    public mutating func start() -> Action {
        state = .listing(continue: nil, pages: [])
        return .list(continue: nil)
    }

    /// A list page arrived. `resourceVersion` is the list's resourceVersion.
    public mutating func listPageReceived(_ items: [Object], continue token: String?, resourceVersion: String) -> Action {
        guard case .listing(_, var pages) = state else {
            preconditionFailure("list page received while \(state)")
        }
        pages.append(contentsOf: items)
        if let token, !token.isEmpty {
            state = .listing(continue: token, pages: pages)
            return .list(continue: token)
        }
        state = .watching(resourceVersion: resourceVersion, sawEvent: false)
        return .emitAndWatch(.restarted(pages), resourceVersion: resourceVersion)
    }

    /// An event arrived on the open watch stream.
    public mutating func watchEventReceived(_ input: WatchInput) -> Action {
        guard case .watching(let current, _) = state else {
            preconditionFailure("watch event received while \(state)")
        }
        switch input {
        case .added(let object, let version), .modified(let object, let version):
            backoff.reset()
            state = .watching(resourceVersion: version ?? current, sawEvent: true)
            return .emit(.applied(object))
        case .deleted(let object, let version):
            backoff.reset()
            state = .watching(resourceVersion: version ?? current, sawEvent: true)
            return .emit(.deleted(object))
        case .bookmark(let version):
            backoff.reset()
            state = .watching(resourceVersion: version, sawEvent: true)
            return .keepWatching
        case .error:
            // 410 means our resourceVersion was compacted away; any other ERROR event leaves us
            // unsure what we missed. Either way only a relist restores a consistent view.
            return backOff(then: .relist)
        }
    }

    /// The watch stream ended normally (the server closes watches after its timeout): resume.
    ///
    /// A stream that ended without delivering anything, not even a bookmark, is treated like a
    /// failure, so a server (or proxy) that closes watches at once cannot make us spin.
    public mutating func watchEnded() -> Action {
        guard case .watching(let version, let sawEvent) = state else {
            preconditionFailure("watch ended while \(state)")
        }
        guard sawEvent else { return backOff(then: .watch(resourceVersion: version)) }
        state = .watching(resourceVersion: version, sawEvent: false)
        return .watch(resourceVersion: version)
    }

    /// The current list or watch request failed, or the watch connection dropped.
    public mutating func requestFailed(_ failure: Failure) -> Action {
        switch (state, failure) {
        case (_, .gone):
            return backOff(then: .relist)
        case (.listing(let token, let pages), .transient):
            return backOff(then: .listPage(continue: token, pages: pages))
        case (.watching(let version, _), .transient):
            return backOff(then: .watch(resourceVersion: version))
        case (.idle, _), (.backingOff, _):
            preconditionFailure("request failed while \(state)")
        }
    }

    /// The wait asked for by ``Action/wait(_:)`` is over.
    public mutating func backoffElapsed() -> Action {
        guard case .backingOff(let retry) = state else {
            preconditionFailure("backoff elapsed while \(state)")
        }
        switch retry {
        case .relist:
            return start()
        case .listPage(let token, let pages):
            state = .listing(continue: token, pages: pages)
            return .list(continue: token)
        case .watch(let version):
            state = .watching(resourceVersion: version, sawEvent: false)
            return .watch(resourceVersion: version)
        }
    }

    private mutating func backOff(then retry: Retry) -> Action {
        state = .backingOff(retry: retry)
        return .wait(backoff.next())
    }
}
