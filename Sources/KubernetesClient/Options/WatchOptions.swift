/// Options of a watch request.
public struct WatchOptions: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Start after this version (normally the list's `metadata.resourceVersion`).
    public var resourceVersion: String?
    public var allowBookmarks: Bool
    /// Server-side timeout; the server ends the stream cleanly after it. client-go uses 5–10 min, jittered.
    public var timeoutSeconds: Int?
    /// Largest single event accepted; a larger one fails the stream with `eventTooLarge`.
    public var maxEventBytes: Int
    /// `false`: leave `spec` out of the decoded objects of kinds that support it (``Job``, ``Pod``),
    /// for caches that read only metadata and status: their pod templates are most of the bytes and
    /// most of the decoding time. Client-side only; the request is the same.
    public var decodesSpec = true

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, resourceVersion: String? = nil,
        allowBookmarks: Bool = true, timeoutSeconds: Int? = 300, maxEventBytes: Int = 16 * 1024 * 1024
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowBookmarks = allowBookmarks
        self.timeoutSeconds = timeoutSeconds
        self.maxEventBytes = maxEventBytes
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = [("watch", "true")]
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if allowBookmarks { items.append(("allowWatchBookmarks", "true")) }
        if let timeoutSeconds { items.append(("timeoutSeconds", String(timeoutSeconds))) }
        return items
    }
}
