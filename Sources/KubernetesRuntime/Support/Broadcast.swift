import Synchronization

/// Hands every published value to all current subscribers; a new subscriber first gets the latest value.
final class Broadcast<Value: Sendable>: Sendable {
    private struct State {
        var latest: Value
        var nextID = 0
        var subscribers: [Int: AsyncStream<Value>.Continuation] = [:]
        var finished = false
    }

    private let state: Mutex<State>

    init(_ initial: Value) {
        state = Mutex(State(latest: initial))
    }

    var latest: Value { state.withLock { $0.latest } }

    /// Publishes `value`; with `onlyChanges`, a value equal to the latest one is not published again.
    func publish(_ value: Value, onlyChanges: Bool = false) where Value: Equatable {
        let subscribers: [AsyncStream<Value>.Continuation] = state.withLock { state in
            if onlyChanges && state.latest == value { return [] }
            state.latest = value
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield(value) }
    }

    func subscribe() -> AsyncStream<Value> {
        let (stream, continuation) = AsyncStream<Value>.makeStream(bufferingPolicy: .unbounded)
        let (id, latest, finished) = state.withLock { state in
            defer { state.nextID += 1 }
            if !state.finished { state.subscribers[state.nextID] = continuation }
            return (state.nextID, state.latest, state.finished)
        }
        continuation.yield(latest)
        if finished { continuation.finish() }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func finish() {
        let subscribers = state.withLock { state in
            state.finished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
