/// The API verb of a request, as the API server's audit log and metrics name it.
public enum RequestVerb: String, Sendable, Hashable, CaseIterable {
    case get, list, watch, create, update, patch, delete, deletecollection

    /// Reads change nothing on the server, so resending them is always safe.
    public var isRead: Bool { self == .get || self == .list || self == .watch }
}

/// One HTTP round trip, reported to a ``RequestObserver`` (e.g. for "API requests by verb" metrics).
public struct RequestRecord: Sendable, Hashable {
    public var verb: RequestVerb
    /// `plural` or `plural.group`, e.g. `jobs.batch`.
    public var resource: String
    /// HTTP status code, or `nil` when no response arrived (connection or TLS failure, timeout).
    public var statusCode: Int?
    /// Time until the response head arrived.
    public var duration: Duration

    public init(verb: RequestVerb, resource: String, statusCode: Int?, duration: Duration) {
        self.verb = verb
        self.resource = resource
        self.statusCode = statusCode
        self.duration = duration
    }
}

/// Called once per HTTP attempt (retries count separately). Must be cheap and must not block.
public typealias RequestObserver = @Sendable (RequestRecord) -> Void
