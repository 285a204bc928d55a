/// Bounded retries of requests the server asked us to repeat (429, or 5xx with `Retry-After`).
public struct RetryPolicy: Sendable, Hashable {
    public var maxRetries: Int
    /// Wait when the server gave no `Retry-After`.
    public var defaultDelay: Duration
    /// Upper bound on a single wait, whatever `Retry-After` says.
    public var maxDelay: Duration

    public init(maxRetries: Int = 5, defaultDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(30)) {
        self.maxRetries = maxRetries
        self.defaultDelay = defaultDelay
        self.maxDelay = maxDelay
    }

    /// No retries (tests of error mapping use this).
    public static let none = RetryPolicy(maxRetries: 0)
}
