import KubernetesClient

/// The shared ``LabelSelector`` as a request's `labelSelector` parameter.
extension LabelSelector {
    /// Empty selects everything; a malformed selector is a 400 like the real server's.
    static func query(_ text: String) throws(APIError) -> LabelSelector {
        if text.allSatisfy(\.isWhitespace) { return .everything }
        do {
            return try LabelSelector(parsing: text)
        } catch {
            throw .badRequest("unable to parse requirement: \(error.reason) in selector \"\(text)\"")
        }
    }

    func matches(object: JSONValue) -> Bool {
        if requirements.isEmpty { return true }
        let labels = object["metadata"]?["labels"]
        // Evaluated for every object of a list and every watch event: read in place, copy nothing.
        return matches { labels?[$0]?.stringValue }
    }
}
