/// A token bucket: up to `burst` actions at once, then one per `refillInterval`.
struct TokenBucket<Instant: InstantProtocol<Duration> & Sendable>: Sendable {
    let burst: Int
    let refillInterval: Duration
    private var tokens: Double
    private var updatedAt: Instant?

    init(burst: Int, refillInterval: Duration) {
        precondition(burst >= 1 && refillInterval > .zero)
        self.burst = burst
        self.refillInterval = refillInterval
        self.tokens = Double(burst)
    }

    /// Whether an action is allowed now, without taking a token.
    func allows(now: Instant) -> Bool {
        available(now: now) >= 1
    }

    /// Takes a token if one is available.
    mutating func take(now: Instant) -> Bool {
        tokens = available(now: now)
        updatedAt = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether the bucket is full again at `now` (and so carries no information).
    func isFull(now: Instant) -> Bool {
        available(now: now) >= Double(burst)
    }

    private func available(now: Instant) -> Double {
        guard let updatedAt else { return tokens }
        let elapsed = max(0, updatedAt.duration(to: now).seconds)
        return min(Double(burst), tokens + elapsed / refillInterval.seconds)
    }
}
