import Foundation

/// Delay before the next installer attempt after `failedAttempts` failures:
/// base · 2^(failedAttempts − 1), capped.
public struct RetryBackoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration, cap: Duration) {
        self.base = base
        self.cap = cap
    }

    public func delay(afterFailedAttempts failedAttempts: Int) -> Duration {
        guard failedAttempts > 0 else { return .zero }
        let exponent = min(failedAttempts - 1, 30)
        let delay = base * (1 << exponent)
        return min(delay, cap)
    }
}

extension RetryBackoff {
    /// When the attempt after `failedAttempts` failures may start, the last one failing at `failedAt`.
    public func retryTime(failedAt: Date, failedAttempts: Int) -> Date {
        failedAt.addingTimeInterval(delay(afterFailedAttempts: failedAttempts).seconds)
    }
}
