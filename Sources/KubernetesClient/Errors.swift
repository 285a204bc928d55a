import Foundation

/// An error answer from the API server, decoded from its `metav1.Status` body.
///
/// Match on ``reason``: `if (error as? KubernetesError)?.reason == .notFound { … }`.
public struct KubernetesError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status code (or the `code` of a watch `ERROR` event).
    public var code: Int
    public var reason: Reason
    public var message: String
    /// Field-level problems, for `Invalid` in particular.
    public var causes: [Status.Cause]
    /// How long the server asked us to wait (`Retry-After` header or `details.retryAfterSeconds`).
    public var retryAfter: Duration?
    /// The decoded body, when there was one.
    public var status: Status?

    public init(
        code: Int, reason: Reason, message: String, causes: [Status.Cause] = [], retryAfter: Duration? = nil,
        status: Status? = nil
    ) {
        self.code = code
        self.reason = reason
        self.message = message
        self.causes = causes
        self.retryAfter = retryAfter
        self.status = status
    }

    /// Maps a `Status` (possibly absent or partial) and the HTTP code to an error.
    public init(httpCode: Int, status: Status?, retryAfterHeader: String? = nil, body: String? = nil) {
        let code = status?.code.flatMap { $0 > 0 ? $0 : nil } ?? httpCode
        let reason = status?.reason.flatMap { $0.isEmpty ? nil : Reason(rawValue: $0) } ?? Reason(httpCode: code)
        var message = status?.message ?? ""
        if message.isEmpty {
            let text = (body ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            message = text.isEmpty ? "HTTP \(httpCode)" : String(text.prefix(512))
        }
        var retryAfter: Duration?
        if let header = retryAfterHeader?.trimmingCharacters(in: .whitespaces), let seconds = Int(header), seconds >= 0 {
            retryAfter = .seconds(seconds)
        } else if let seconds = status?.details?.retryAfterSeconds, seconds >= 0 {
            retryAfter = .seconds(seconds)
        }
        self.init(
            code: code, reason: reason, message: message, causes: status?.details?.causes ?? [],
            retryAfter: retryAfter, status: status)
    }

    /// From a watch `ERROR` event's Status (HTTP 200 stream, so the code comes from the body).
    public init(status: Status) {
        self.init(httpCode: status.code ?? 500, status: status)
    }

    public var description: String {
        var text = "\(reason.rawValue) (\(code)): \(message)"
        let fields = causes.compactMap { cause -> String? in
            guard cause.field != nil || cause.message != nil else { return nil }
            return [cause.field, cause.message].compactMap { $0 }.joined(separator: ": ")
        }
        if !fields.isEmpty, !fields.allSatisfy({ message.contains($0) }) {
            text += " [" + fields.joined(separator: "; ") + "]"
        }
        return text
    }

    /// `metav1.StatusReason`: the machine-readable cause of a failure.
    public struct Reason: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let unknown = Reason(rawValue: "Unknown")
        public static let badRequest = Reason(rawValue: "BadRequest")
        public static let unauthorized = Reason(rawValue: "Unauthorized")
        public static let forbidden = Reason(rawValue: "Forbidden")
        public static let notFound = Reason(rawValue: "NotFound")
        public static let methodNotAllowed = Reason(rawValue: "MethodNotAllowed")
        public static let notAcceptable = Reason(rawValue: "NotAcceptable")
        public static let alreadyExists = Reason(rawValue: "AlreadyExists")
        public static let conflict = Reason(rawValue: "Conflict")
        /// 410 with reason `Gone` (older servers) — treat like ``expired``.
        public static let gone = Reason(rawValue: "Gone")
        /// 410: the requested resourceVersion is too old; relist.
        public static let expired = Reason(rawValue: "Expired")
        public static let requestEntityTooLarge = Reason(rawValue: "RequestEntityTooLarge")
        public static let unsupportedMediaType = Reason(rawValue: "UnsupportedMediaType")
        public static let invalid = Reason(rawValue: "Invalid")
        public static let tooManyRequests = Reason(rawValue: "TooManyRequests")
        public static let internalError = Reason(rawValue: "InternalError")
        public static let serviceUnavailable = Reason(rawValue: "ServiceUnavailable")
        public static let timeout = Reason(rawValue: "Timeout")
        public static let serverTimeout = Reason(rawValue: "ServerTimeout")

        /// The reason the API server uses for an HTTP code when the body gave none.
        public init(httpCode: Int) {
            switch httpCode {
            case 400: self = .badRequest
            case 401: self = .unauthorized
            case 403: self = .forbidden
            case 404: self = .notFound
            case 405: self = .methodNotAllowed
            case 406: self = .notAcceptable
            case 409: self = .conflict
            case 410: self = .expired
            case 413: self = .requestEntityTooLarge
            case 415: self = .unsupportedMediaType
            case 422: self = .invalid
            case 429: self = .tooManyRequests
            case 500: self = .internalError
            case 503: self = .serviceUnavailable
            case 504: self = .timeout
            default: self = .unknown
            }
        }
    }

    public var isNotFound: Bool { reason == .notFound || (code == 404 && reason == .unknown) }
    public var isAlreadyExists: Bool { reason == .alreadyExists }
    /// Optimistic-concurrency failure: re-read and retry.
    public var isConflict: Bool { reason == .conflict }
    /// 410: the resourceVersion is gone from the server's window; a watcher must relist.
    public var isGone: Bool { code == 410 || reason == .expired || reason == .gone }
    public var isInvalid: Bool { reason == .invalid }
    public var isForbidden: Bool { reason == .forbidden }
    public var isUnauthorized: Bool { reason == .unauthorized }
    public var isTooManyRequests: Bool { reason == .tooManyRequests || code == 429 }
    /// 5xx, timeouts and throttling: worth retrying later.
    public var isRetryable: Bool { code >= 500 || isTooManyRequests || reason == .serverTimeout || reason == .timeout }
}

extension Error {
    /// This error as a ``KubernetesError``, if it is one.
    public var kubernetesError: KubernetesError? { self as? KubernetesError }
    /// Whether this is a `NotFound` API error.
    public var isKubernetesNotFound: Bool { kubernetesError?.isNotFound ?? false }
    /// Whether this is a `Conflict` API error.
    public var isKubernetesConflict: Bool { kubernetesError?.isConflict ?? false }
}

/// Failures on the client side: configuration, transport, decoding, framing.
public struct KubernetesClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public struct Code: RawRepresentable, Sendable, Hashable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Kubeconfig or in-cluster configuration is missing or malformed; the message names the field.
        public static let invalidConfiguration = Code(rawValue: "InvalidConfiguration")
        /// A credential (token file, exec plugin, certificate) could not be loaded.
        public static let credentials = Code(rawValue: "Credentials")
        /// The request could not be built (e.g. a namespaced kind without a namespace).
        public static let invalidRequest = Code(rawValue: "InvalidRequest")
        /// Connection, TLS or timeout failure.
        public static let transport = Code(rawValue: "Transport")
        /// The response body did not decode as the expected type.
        public static let decoding = Code(rawValue: "Decoding")
        /// A single watch event exceeded the configured maximum size.
        public static let eventTooLarge = Code(rawValue: "EventTooLarge")
    }
}
