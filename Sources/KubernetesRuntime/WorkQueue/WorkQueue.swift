import Synchronization

/// A controller's work queue: runs ``WorkQueueStateMachine`` against the real clock and hands
/// keys to a processing closure, at most `maxConcurrency` at a time.
///
/// The processing closure decides what happens to its key next by calling ``forget(_:)``,
/// ``add(_:after:)`` or ``addAfterFailure(_:)`` before it returns (client-go style). A key added
/// while it is being processed runs again after the current run, never in parallel.
public final class WorkQueue<Key: Hashable & Sendable>: Sendable {
    private struct State {
        var machine: WorkQueueStateMachine<Key, ContinuousClock.Instant>
        /// Set when something changed since the dispatcher last looked.
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
        var timer: Task<Void, Never>?
    }

    private let state: Mutex<State>
    private let clock = ContinuousClock()

    public init(
        maxConcurrency: Int, failureBackoffBase: Duration = .milliseconds(5),
        failureBackoffMaximum: Duration = .seconds(300)
    ) {
        state = Mutex(State(machine: WorkQueueStateMachine(
            maxConcurrency: maxConcurrency, failureBackoffBase: failureBackoffBase,
            failureBackoffMaximum: failureBackoffMaximum)))
    }

    /// Queues `key` now.
    public func add(_ key: Key) {
        update { $0.add(key) }
    }

    /// Queues `key` now, ahead of the keys already waiting.
    public func addFirst(_ key: Key) {
        update { $0.addFirst(key) }
    }

    /// Queues `key` after `delay`; an earlier pending schedule wins.
    public func add(_ key: Key, after delay: Duration) {
        let now = clock.now
        update { $0.add(key, after: delay, now: now) }
    }

    /// Queues `key` after its per-key failure backoff; returns the delay.
    @discardableResult
    public func addAfterFailure(_ key: Key) -> Duration {
        let now = clock.now
        var delay = Duration.zero
        update { machine in
            delay = machine.addAfterFailure(key, now: now)
            return true
        }
        return delay
    }

    /// Clears the failure backoff of `key`.
    public func forget(_ key: Key) {
        state.withLock { $0.machine.forget(key) }
    }

    /// Consecutive failures recorded for `key`.
    public func failureCount(for key: Key) -> Int {
        state.withLock { $0.machine.failureCount(for: key) }
    }

    /// Stop taking new work; ``run(_:)`` returns once the keys in flight are done.
    public func shutDown() {
        update { machine in
            machine.shutDown()
            return true
        }
    }

    public var isShuttingDown: Bool { state.withLock { $0.machine.isShuttingDown } }

    /// Processes keys until ``shutDown()`` (or cancellation) and drain.
    public func run(_ process: @escaping @Sendable (Key) async -> Void) async {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                while true {
                    let now = clock.now
                    let action = state.withLock { $0.machine.next(now: now) }
                    switch action {
                    case .process(let key):
                        group.addTask {
                            await process(key)
                            self.update { $0.done(key) || true }
                        }
                    case .waitForWork:
                        await waitForSignal(until: nil)
                    case .waitUntil(let deadline):
                        await waitForSignal(until: deadline)
                    case .drained:
                        state.withLock { state in
                            state.timer?.cancel()
                            state.timer = nil
                        }
                        return
                    }
                }
            }
        } onCancel: {
            self.shutDown()
        }
    }

    /// Applies a change; wakes the dispatcher when the change says so.
    private func update(_ change: (inout WorkQueueStateMachine<Key, ContinuousClock.Instant>) -> Bool) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard change(&state.machine) else { return nil }
            state.signalled = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    private func signal() {
        update { _ in true }
    }

    private func waitForSignal(until deadline: ContinuousClock.Instant?) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                state.timer?.cancel()
                state.timer = nil
                if state.signalled {
                    state.signalled = false
                    return true
                }
                state.waiter = continuation
                if let deadline {
                    state.timer = Task { [weak self] in
                        try? await Task.sleep(until: deadline, clock: .continuous)
                        if !Task.isCancelled { self?.signal() }
                    }
                }
                return false
            }
            if resumeNow { continuation.resume() }
        }
        state.withLock { $0.signalled = false }
    }
}
