import Testing
@testable import KubernetesRuntime

@Suite struct WorkQueueStateMachineTests {
    typealias Queue = WorkQueueStateMachine<String, TestInstant>
    let t0 = TestInstant.zero

    @Test func addingAKeyTwiceQueuesItOnce() {
        var queue = Queue(maxConcurrency: 4)
        do { let value = queue.add("a"); #expect(value) }
        do { let value = queue.add("a"); #expect(!value) }
        do { let value = queue.add("b"); #expect(value) }
        do { let value = queue.next(now: t0); #expect(value == .process("a")) }
        do { let value = queue.next(now: t0); #expect(value == .process("b")) }
        do { let value = queue.next(now: t0); #expect(value == .waitForWork) }
    }

    @Test func addFirstJumpsTheBacklogAndEachKeyIsStillHandedOutOnce() {
        var queue = Queue(maxConcurrency: 1)
        for key in ["a", "b", "c"] { queue.add(key) }
        queue.addFirst("x")
        queue.addFirst("c")  // already waiting: moves ahead, and is not handed out twice
        #expect(queue.readyCount == 4)
        var order: [String] = []
        while case .process(let key) = queue.next(now: t0) {
            order.append(key)
            queue.done(key)
        }
        #expect(order == ["x", "c", "a", "b"])
        #expect(queue.readyCount == 0)
    }

    @Test func addFirstOnAKeyInFlightQueuesItFirstWhenItsRunEnds() {
        var queue = Queue(maxConcurrency: 2)
        for key in ["a", "b", "c"] { queue.add(key) }
        do { let value = queue.next(now: t0); #expect(value == .process("a")) }
        queue.addFirst("a")
        do { let value = queue.next(now: t0); #expect(value == .process("b")) }
        do { let value = queue.done("a"); #expect(value) }
        do { let value = queue.next(now: t0); #expect(value == .process("a")) }
        do { let value = queue.done("b"); #expect(!value) }
        do { let value = queue.next(now: t0); #expect(value == .process("c")) }
    }

    @Test func aKeyAddedWhileProcessingRunsAgainOnlyAfterTheCurrentRun() {
        var queue = Queue(maxConcurrency: 4)
        queue.add("a")
        do { let value = queue.next(now: t0); #expect(value == .process("a")) }
        queue.add("a")
        queue.add("a")
        // Not handed out while "a" is in flight, even with free workers.
        do { let value = queue.next(now: t0); #expect(value == .waitForWork) }
        do { let value = queue.done("a"); #expect(value) }
        do { let value = queue.next(now: t0); #expect(value == .process("a")) }
        do { let value = queue.done("a"); #expect(!value) }
        do { let value = queue.next(now: t0); #expect(value == .waitForWork) }
    }

    @Test func aScheduledKeyThatFallsDueDuringItsRunIsDeferredToo() {
        var queue = Queue(maxConcurrency: 2)
        queue.add("a")
        do { let value = queue.next(now: t0); #expect(value == .process("a")) }
        queue.add("a", after: .seconds(1), now: t0)
        do { let value = queue.next(now: .seconds(2)); #expect(value == .waitForWork) }
        do { let value = queue.done("a"); #expect(value) }
        do { let value = queue.next(now: .seconds(2)); #expect(value == .process("a")) }
    }

    @Test func concurrencyIsBounded() {
        var queue = Queue(maxConcurrency: 2)
        for key in ["a", "b", "c"] { queue.add(key) }
        do { let value = queue.next(now: t0); #expect(value == .process("a")) }
        do { let value = queue.next(now: t0); #expect(value == .process("b")) }
        do { let value = queue.next(now: t0); #expect(value == .waitForWork) }
        queue.done("a")
        do { let value = queue.next(now: t0); #expect(value == .process("c")) }
    }

    @Test func delayedAddKeepsTheEarliestSchedule() {
        var queue = Queue(maxConcurrency: 1)
        queue.add("a", after: .seconds(10), now: t0)
        queue.add("a", after: .seconds(3), now: t0)
        queue.add("a", after: .seconds(20), now: t0)
        do { let value = queue.next(now: t0); #expect(value == .waitUntil(.seconds(3))) }
        do { let value = queue.next(now: .seconds(2.999)); #expect(value == .waitUntil(.seconds(3))) }
        do { let value = queue.next(now: .seconds(3)); #expect(value == .process("a")) }
        queue.done("a")
        // The later schedules were superseded, not kept.
        do { let value = queue.next(now: .seconds(30)); #expect(value == .waitForWork) }
    }

    @Test func anImmediateAddSupersedesASchedule() {
        var queue = Queue(maxConcurrency: 1)
        queue.add("a", after: .seconds(10), now: t0)
        queue.add("a")
        do { let value = queue.next(now: t0); #expect(value == .process("a")) }
        queue.done("a")
        do { let value = queue.next(now: .seconds(11)); #expect(value == .waitForWork) }
    }

    @Test func failureBackoffDoublesFrom5msTo5MinutesAndForgetResetsIt() {
        var queue = Queue(maxConcurrency: 1)
        var delays: [Duration] = []
        for _ in 0..<20 { delays.append(queue.addAfterFailure("a", now: t0)) }
        #expect(Array(delays.prefix(5)) == [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(40), .milliseconds(80)])
        #expect(delays.last == .seconds(300))
        #expect(delays.allSatisfy { $0 <= .seconds(300) })
        #expect(zip(delays, delays.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(queue.failureCount(for: "a") == 20)
        queue.forget("a")
        #expect(queue.failureCount(for: "a") == 0)
        do { let value = queue.addAfterFailure("a", now: t0); #expect(value == .milliseconds(5)) }
        // Failures of one key do not slow another down.
        #expect(queue.failureDelay(for: "b") == .milliseconds(5))
    }

    @Test func shutdownStopsHandingOutWorkAndDrainsOnceInFlightKeysAreDone() {
        var queue = Queue(maxConcurrency: 2)
        for key in ["a", "b", "c"] { queue.add(key) }
        queue.add("d", after: .seconds(1), now: t0)
        do { let value = queue.next(now: t0); #expect(value == .process("a")) }
        queue.shutDown()
        do { let value = queue.add("e"); #expect(!value) }
        do { let value = queue.next(now: .seconds(5)); #expect(value == .waitForWork) }
        queue.add("a")
        do { let value = queue.done("a"); #expect(!value) }
        do { let value = queue.next(now: .seconds(5)); #expect(value == .drained) }
    }
}
