import Synchronization
import Testing
@testable import KubernetesRuntime

/// The work queue owner with real tasks: the guarantees hold under concurrency.
@Suite struct WorkQueueTests {
    final class Tracker: Sendable {
        struct State {
            var running: [String: Int] = [:]
            var maxPerKey = 0
            var total = 0
            var maxTotal = 0
            var runs: [String: Int] = [:]
        }
        let state = Mutex(State())

        func begin(_ key: String) {
            state.withLock { state in
                state.running[key, default: 0] += 1
                state.total += 1
                state.maxPerKey = max(state.maxPerKey, state.running[key]!)
                state.maxTotal = max(state.maxTotal, state.total)
                state.runs[key, default: 0] += 1
            }
        }

        func end(_ key: String) {
            state.withLock { state in
                state.running[key, default: 0] -= 1
                state.total -= 1
            }
        }
    }

    @Test func neverRunsTheSameKeyTwiceAtOnceAndBoundsConcurrency() async throws {
        let queue = WorkQueue<String>(maxConcurrency: 3)
        let tracker = Tracker()
        let keys = (0..<6).map { "key-\($0)" }
        let runner = Task {
            await queue.run { key in
                tracker.begin(key)
                try? await Task.sleep(for: .milliseconds(2))
                tracker.end(key)
            }
        }
        for _ in 0..<50 {
            for key in keys { queue.add(key) }
            try await Task.sleep(for: .milliseconds(1))
        }
        try await eventually("every key ran") { tracker.state.withLock { $0.runs.count } == keys.count && tracker.state.withLock { $0.total } == 0 }
        queue.shutDown()
        await runner.value
        let state = tracker.state.withLock { $0 }
        #expect(state.maxPerKey == 1)
        #expect(state.maxTotal <= 3)
        // Adds while a key is running coalesce: far fewer runs than adds.
        #expect(state.runs.values.allSatisfy { $0 < 50 })
    }

    @Test func aKeyAddedDuringItsRunRunsOnceMoreAfterwards() async throws {
        let queue = WorkQueue<String>(maxConcurrency: 2)
        let runs = Recorder<String>()
        let (started, startedContinuation) = AsyncStream<Void>.makeStream()
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        let runner = Task {
            await queue.run { key in
                runs.append(key)
                if runs.count == 1 {
                    startedContinuation.yield()
                    for await _ in release { break }
                }
            }
        }
        queue.add("a")
        for await _ in started { break }
        queue.add("a")
        queue.add("a")
        releaseContinuation.yield()
        try await eventually("the second run happened") { runs.count == 2 }
        queue.shutDown()
        await runner.value
        #expect(runs.all == ["a", "a"])
    }

    @Test func delayedAndFailedKeysComeBack() async throws {
        let queue = WorkQueue<String>(maxConcurrency: 1)
        let runs = Recorder<String>()
        let runner = Task {
            await queue.run { key in
                runs.append(key)
                if key == "flaky", runs.all.filter({ $0 == "flaky" }).count < 4 {
                    queue.addAfterFailure(key)
                } else {
                    queue.forget(key)
                }
            }
        }
        queue.add("later", after: .milliseconds(30))
        queue.add("flaky")
        try await eventually("both came back") { runs.all.filter { $0 == "flaky" }.count == 4 && runs.all.contains("later") }
        #expect(queue.failureCount(for: "flaky") == 0)
        queue.shutDown()
        await runner.value
    }

    @Test func shutdownFinishesInFlightWorkAndStartsNothingNew() async throws {
        let queue = WorkQueue<String>(maxConcurrency: 1)
        let finished = Recorder<String>()
        let (started, startedContinuation) = AsyncStream<Void>.makeStream()
        let runner = Task {
            await queue.run { key in
                startedContinuation.yield()
                try? await Task.sleep(for: .milliseconds(50))
                finished.append(key)
            }
        }
        queue.add("in-flight")
        for await _ in started { break }
        queue.add("waiting")
        queue.shutDown()
        queue.add("too-late")
        await runner.value
        #expect(finished.all == ["in-flight"])
    }
}
