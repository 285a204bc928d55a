/// The rules of a controller's work queue, as a pure value (client-go's workqueue semantics).
///
/// - A key is queued at most once, however often it is added.
/// - A key is never handed out twice at once: adding a key that is being processed marks it
///   dirty, and it is queued again when the current run calls ``done(_:)``.
/// - ``addFirst(_:)`` queues a key ahead of those already waiting (a key whose wait would leave
///   something scarce idle, such as a node just granted a rollout slot).
/// - ``add(_:after:now:)`` schedules a key; of several schedules the earliest wins, and adding it
///   right away cancels the schedule.
/// - ``addAfterFailure(_:now:)`` schedules with per-key exponential backoff (5 ms doubling to
///   5 min); ``forget(_:)`` clears the failure count after a success.
/// - At most `maxConcurrency` keys are processed at a time.
/// - After ``shutDown()`` nothing new is handed out or accepted; ``next(now:)`` reports
///   ``NextAction/drained`` once the keys in flight are done.
public struct WorkQueueStateMachine<Key: Hashable & Sendable, Instant: InstantProtocol<Duration> & Sendable>: Sendable {
    /// What the owner should do when it looks for work.
    public enum NextAction: Sendable, Equatable {
        /// Process this key, then call ``done(_:)``.
        case process(Key)
        /// Nothing is ready before this instant (a scheduled key), unless something is added.
        case waitUntil(Instant)
        /// Nothing ready or scheduled, or the concurrency limit is reached: wait for an add or a done.
        case waitForWork
        /// Shut down and nothing in flight: the owner can stop.
        case drained
    }

    public let maxConcurrency: Int
    public let failureBackoffBase: Duration
    public let failureBackoffMaximum: Duration

    /// Keys in hand-out order, from `readyHead`; an entry whose key is not in `queued` any more
    /// (handed out from `urgent` first) is skipped.
    private var ready: [Key] = []
    private var readyHead = 0
    /// Keys from ``addFirst(_:)``, handed out before `ready`, oldest first.
    private var urgent: [Key] = []
    private var queued: Set<Key> = []
    private var processing: Set<Key> = []
    private var dirty: Set<Key> = []
    /// Dirty keys that go to the front when their run is done.
    private var urgentDirty: Set<Key> = []
    private var scheduled = DueTimes<Key, Instant>()
    private var failures: [Key: Int] = [:]
    public private(set) var isShuttingDown = false

    public init(
        maxConcurrency: Int,
        failureBackoffBase: Duration = .milliseconds(5),
        failureBackoffMaximum: Duration = .seconds(300)
    ) {
        precondition(maxConcurrency >= 1)
        self.maxConcurrency = maxConcurrency
        self.failureBackoffBase = failureBackoffBase
        self.failureBackoffMaximum = failureBackoffMaximum
    }

    /// Queues a key now. Returns whether this changed anything (so a waiting owner should look again).
    @discardableResult
    public mutating func add(_ key: Key) -> Bool {
        queueNow(key, first: false)
    }

    /// Queues a key now, ahead of the keys already waiting (behind earlier ``addFirst(_:)``s).
    /// A key being processed is queued that way when its run is done. Returns whether this
    /// changed anything.
    @discardableResult
    public mutating func addFirst(_ key: Key) -> Bool {
        queueNow(key, first: true)
    }

    private mutating func queueNow(_ key: Key, first: Bool) -> Bool {
        guard !isShuttingDown else { return false }
        scheduled.remove(key)
        if processing.contains(key) {
            // Queued again when the current run is done, never run twice at once.
            dirty.insert(key)
            if first { urgentDirty.insert(key) }
            return false
        }
        if first {
            // Already waiting in `ready`: its entry there is skipped once it is handed out from here.
            queued.insert(key)
            urgent.append(key)
            return true
        }
        guard queued.insert(key).inserted else { return false }
        ready.append(key)
        return true
    }

    /// Queues a key once `delay` has passed; an earlier schedule of the same key wins.
    @discardableResult
    public mutating func add(_ key: Key, after delay: Duration, now: Instant) -> Bool {
        guard !isShuttingDown else { return false }
        if delay <= .zero { return add(key) }
        if queued.contains(key) { return false }
        let due = now.advanced(by: delay)
        if let existing = scheduled[key], existing <= due { return false }
        scheduled.set(key, due: due)
        return true
    }

    /// Schedules a key after a failure, with per-key exponential backoff. Returns the delay used.
    @discardableResult
    public mutating func addAfterFailure(_ key: Key, now: Instant) -> Duration {
        let delay = failureDelay(for: key)
        failures[key, default: 0] += 1
        add(key, after: delay, now: now)
        return delay
    }

    /// The delay the next failure of `key` will be retried after.
    public func failureDelay(for key: Key) -> Duration {
        let count = failures[key] ?? 0
        var delay = failureBackoffBase
        for _ in 0..<min(count, 40) {
            delay *= 2
            if delay >= failureBackoffMaximum { return failureBackoffMaximum }
        }
        return min(delay, failureBackoffMaximum)
    }

    /// How many consecutive failures were recorded for `key`.
    public func failureCount(for key: Key) -> Int { failures[key] ?? 0 }

    /// Clears the failure count of a key (after a successful reconcile).
    public mutating func forget(_ key: Key) {
        failures[key] = nil
    }

    /// Hands out the next key, or says how long to wait.
    public mutating func next(now: Instant) -> NextAction {
        promoteDueKeys(now: now)
        if isShuttingDown {
            return processing.isEmpty ? .drained : .waitForWork
        }
        if processing.count < maxConcurrency, let key = takeQueuedKey() {
            processing.insert(key)
            return .process(key)
        }
        if processing.count >= maxConcurrency { return .waitForWork }
        if let earliest = scheduled.earliest() { return .waitUntil(earliest) }
        return .waitForWork
    }

    /// The run of `key` handed out by ``next(now:)`` finished. Returns whether the key was queued again.
    @discardableResult
    public mutating func done(_ key: Key) -> Bool {
        guard processing.remove(key) != nil else {
            preconditionFailure("done(\(key)) without a matching process")
        }
        let urgently = urgentDirty.remove(key) != nil
        guard dirty.remove(key) != nil, !isShuttingDown else { return false }
        if urgently { return addFirst(key) }
        scheduled.remove(key)
        if queued.insert(key).inserted { ready.append(key) }
        return true
    }

    /// Stop handing out and accepting work; keys in flight may finish.
    public mutating func shutDown() {
        isShuttingDown = true
        ready = []
        readyHead = 0
        urgent = []
        queued = []
        dirty = []
        urgentDirty = []
        scheduled.removeAll()
    }

    /// Keys waiting to be processed now.
    public var readyCount: Int { queued.count }
    /// Keys being processed.
    public var inFlight: Set<Key> { processing }
    /// Keys scheduled for later, with their due instants.
    public var scheduledKeys: [Key: Instant] { scheduled.dues }

    /// The next waiting key, urgent ones first, skipping entries of keys handed out already.
    private mutating func takeQueuedKey() -> Key? {
        while let key = urgent.first {
            urgent.removeFirst()
            if queued.remove(key) != nil { return key }
        }
        while readyHead < ready.count {
            let key = ready[readyHead]
            readyHead += 1
            if readyHead > 64 && readyHead * 2 > ready.count {
                ready.removeFirst(readyHead)
                readyHead = 0
            }
            if queued.remove(key) != nil { return key }
        }
        return nil
    }

    private mutating func promoteDueKeys(now: Instant) {
        guard !scheduled.isEmpty else { return }
        for key in scheduled.takeDue(now: now) {
            if processing.contains(key) {
                dirty.insert(key)
            } else if queued.insert(key).inserted {
                ready.append(key)
            }
        }
    }
}
