/// Options of a list request.
public struct ListOptions: Sendable, Hashable {
    /// e.g. `kwasm.sh/kwasm-node=true,app in (a,b)`; see ``LabelSelector``.
    public var labelSelector: String?
    /// e.g. `metadata.name=node-1`.
    public var fieldSelector: String?
    /// Page size; `nil` lets the server decide (everything).
    public var limit: Int?
    public var continueToken: String?
    /// `nil`: most recent (quorum read); `"0"`: any cached version.
    public var resourceVersion: String?
    public var resourceVersionMatch: String?
    /// `false`: leave `spec` out of the decoded objects of kinds that support it (``Job``, ``Pod``),
    /// for caches that read only metadata and status: their pod templates are most of the bytes and
    /// most of the decoding time. Client-side only; the request is the same.
    public var decodesSpec = true

    public init(
        labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil,
        resourceVersion: String? = nil, resourceVersionMatch: String? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let limit { items.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { items.append(("continue", continueToken)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if let resourceVersionMatch { items.append(("resourceVersionMatch", resourceVersionMatch)) }
        return items
    }
}
