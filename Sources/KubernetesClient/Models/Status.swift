/// `metav1.Status`: the body of every error response and of watch `ERROR` events.
public struct Status: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ListMeta?
    /// `Success` or `Failure`.
    public var status: String?
    public var message: String?
    /// Machine-readable reason, e.g. `NotFound`, `Conflict`, `Expired`.
    public var reason: String?
    public var details: Details?
    /// The HTTP status code.
    public var code: Int?

    public init(
        status: String? = nil, message: String? = nil, reason: String? = nil, details: Details? = nil, code: Int? = nil
    ) {
        self.apiVersion = "v1"
        self.kind = "Status"
        self.status = status
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
    }

    /// `metav1.StatusDetails`.
    public struct Details: Codable, Sendable, Hashable {
        public var name: String?
        public var group: String?
        public var kind: String?
        public var uid: String?
        public var causes: [Cause]?
        public var retryAfterSeconds: Int?

        public init(
            name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil,
            causes: [Cause]? = nil, retryAfterSeconds: Int? = nil
        ) {
            self.name = name
            self.group = group
            self.kind = kind
            self.uid = uid
            self.causes = causes
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    /// `metav1.StatusCause`: one problem, e.g. a field that failed validation.
    public struct Cause: Codable, Sendable, Hashable {
        /// e.g. `FieldValueInvalid`, `FieldValueRequired`.
        public var reason: String?
        public var message: String?
        /// JSON path of the field, e.g. `metadata.name`.
        public var field: String?

        public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }
}
