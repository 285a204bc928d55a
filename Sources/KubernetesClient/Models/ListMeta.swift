/// `metav1.ListMeta`.
public struct ListMeta: Codable, Sendable, Hashable {
    public var resourceVersion: String?
    /// The `continue` token for the next page; `nil` or empty on the last page.
    public var continueToken: String?
    public var remainingItemCount: Int64?

    public init(resourceVersion: String? = nil, continueToken: String? = nil, remainingItemCount: Int64? = nil) {
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
        self.remainingItemCount = remainingItemCount
    }

    enum CodingKeys: String, CodingKey {
        case resourceVersion
        case continueToken = "continue"
        case remainingItemCount
    }
}
