import Testing
@testable import KubernetesRuntime

@Suite struct BackoffTests {
    @Test func doublesUpToTheMaximumWithoutJitter() {
        var backoff = Backoff(initial: .milliseconds(800), maximum: .seconds(30), jitter: 0)
        let delays = (0..<8).map { _ in backoff.next() }
        #expect(delays == [.milliseconds(800), .milliseconds(1600), .milliseconds(3200), .milliseconds(6400),
                           .milliseconds(12800), .milliseconds(25600), .seconds(30), .seconds(30)])
    }

    @Test func jitterSpreadsAroundTheBaseDelayAndNeverExceedsTheMaximum() {
        var low = Backoff(initial: .seconds(1), maximum: .seconds(4), jitter: 0.5, unitRandom: { 0 })
        var high = Backoff(initial: .seconds(1), maximum: .seconds(4), jitter: 0.5, unitRandom: { 0.999999 })
        #expect(low.next() == .milliseconds(500))
        let first = high.next()
        #expect(first > .milliseconds(1499) && first <= .milliseconds(1500))
        for _ in 0..<5 { _ = high.next() }
        #expect(high.next() <= .seconds(4))
    }

    @Test func resetStartsAgainFromTheInitialDelay() {
        var backoff = Backoff(initial: .milliseconds(5), maximum: .seconds(1), jitter: 0)
        _ = backoff.next(); _ = backoff.next(); _ = backoff.next()
        #expect(backoff.attempt == 3)
        backoff.reset()
        #expect(backoff.next() == .milliseconds(5))
    }
}
