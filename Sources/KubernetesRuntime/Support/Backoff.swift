/// Exponential backoff with jitter, used wherever the runtime retries against the API server.
///
/// The delay before attempt *n* (counting from zero) is `initial * multiplier^n`, capped at
/// `maximum`, then spread by `jitter`: a jitter of 0.2 picks uniformly from 80 %…120 % of that
/// delay (never above `maximum`). Jitter keeps many watchers or electors that failed together
/// from retrying together. Call ``reset()`` after a success so the next failure starts small.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Double
    /// Fraction of the delay to randomise, 0…1.
    public var jitter: Double
    /// How many delays were handed out since the last ``reset()``.
    public private(set) var attempt: Int = 0
    /// Returns a number in `0..<1`; injectable so tests get deterministic delays.
    private let unitRandom: @Sendable () -> Double

    public init(
        initial: Duration,
        maximum: Duration,
        multiplier: Double = 2,
        jitter: Double = 0.2,
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        precondition(initial > .zero && maximum >= initial && multiplier >= 1 && (0...1).contains(jitter))
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
        self.unitRandom = unitRandom
    }

    /// Backoff for watches and lists, as client-go's reflector: 800 ms doubling up to 30 s.
    public static func watcherDefault(unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) -> Backoff {
        Backoff(initial: .milliseconds(800), maximum: .seconds(30), multiplier: 2, jitter: 0.2, unitRandom: unitRandom)
    }

    /// The delay without jitter for a given attempt.
    public func baseDelay(attempt: Int) -> Duration {
        let seconds = initial.seconds * pow(multiplier, Double(attempt))
        return seconds >= maximum.seconds ? maximum : .roundedSeconds(seconds)
    }

    /// The delay to wait before the next retry; advances the attempt counter.
    public mutating func next() -> Duration {
        let base = baseDelay(attempt: attempt).seconds
        attempt += 1
        let spread = 1 - jitter + 2 * jitter * unitRandom()
        return .roundedSeconds(min(base * spread, maximum.seconds))
    }

    /// Forget earlier failures.
    public mutating func reset() {
        attempt = 0
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }

    /// Seconds rounded to whole microseconds, so that computed delays compare equal to literal ones.
    static func roundedSeconds(_ seconds: Double) -> Duration {
        .microseconds(Int64((seconds * 1_000_000).rounded()))
    }
}

private func pow(_ base: Double, _ exponent: Double) -> Double {
    // Integer exponents only; avoids importing Foundation into the pure core.
    var result = 1.0
    var remaining = Int(exponent)
    while remaining > 0 && result < 1e12 {
        result *= base
        remaining -= 1
    }
    return result
}
