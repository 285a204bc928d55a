import Foundation
import KubernetesClient

/// The type of an Event.
public enum EventType: String, Sendable, Hashable {
    case normal = "Normal"
    case warning = "Warning"
}

/// What makes two events "the same" for aggregation: identical regarding object, type, reason,
/// action and note.
public struct EventIdentity: Sendable, Hashable {
    public var regarding: ObjectReference
    public var type: EventType
    public var reason: String
    public var action: String
    public var note: String

    public init(regarding: ObjectReference, type: EventType, reason: String, action: String, note: String) {
        // The resourceVersion changes with every write to the object; it must not split a series.
        var regarding = regarding
        regarding.resourceVersion = nil
        self.regarding = regarding
        self.type = type
        self.reason = reason
        self.action = action
        self.note = note
    }
}

/// Decides, per recorded event, whether to create an Event, patch an existing one's series, or
/// hold back — so that a controller repeating itself produces one Event with a growing
/// `series.count`, and a misbehaving one cannot flood the API server.
///
/// - The first occurrence creates an Event. Repeats within `seriesWindow` of the previous
///   occurrence count into that Event's series; they are written at most once per
///   `patchInterval` (the rest are picked up by ``flush(now:)``).
/// - New Events are rate-limited per regarding object with a token bucket (client-go's spam
///   filter: burst 25, one more every 5 minutes); events over the limit are dropped.
/// - All writes together are limited too (default: burst 25, then 5 per second): creates over
///   the limit are dropped, series patches wait for a later ``flush(now:)``.
/// - At most `maximumSeries` series are remembered; the least recently seen are forgotten first.
public struct EventAggregationStateMachine<Instant: InstantProtocol<Duration> & Sendable>: Sendable {
    public enum Action: Sendable, Equatable {
        /// Create a new Event for this identity; report with ``created(_:name:namespace:now:)`` or ``writeFailed(_:)``.
        case create(EventIdentity, eventTime: Date)
        /// Patch the existing Event's `series` (`count`, `lastObservedTime`); report with ``patched(_:now:)`` or ``writeFailed(_:)``.
        case patchSeries(EventIdentity, name: String, namespace: String, count: Int, lastObservedTime: Date)
        /// Counted into a series; written later.
        case aggregated
        /// Dropped by the rate limit.
        case dropped
    }

    struct Series: Sendable {
        var name: String?
        var namespace: String?
        var count: Int
        var lastObserved: Date
        var lastSeenAt: Instant
        /// When the Event was last written, `nil` while the create is in flight.
        var lastWrittenAt: Instant?
        var writtenCount: Int
        var writeInFlight: Bool
    }

    public let seriesWindow: Duration
    public let patchInterval: Duration
    public let burst: Int
    public let refillInterval: Duration
    public let maximumSeries: Int

    private var series: [EventIdentity: Series] = [:]
    private var buckets: [ObjectReference: TokenBucket<Instant>] = [:]
    /// All writes (creates and patches) together, so many objects cannot flood either.
    private var writes: TokenBucket<Instant>

    /// - Parameters:
    ///   - burst, refillInterval: new Events per regarding object.
    ///   - writeBurst, writesPerSecond: all Event writes of this recorder together.
    public init(
        seriesWindow: Duration = .seconds(600), patchInterval: Duration = .seconds(10),
        burst: Int = 25, refillInterval: Duration = .seconds(300), maximumSeries: Int = 4096,
        writeBurst: Int = 25, writesPerSecond: Double = 5
    ) {
        self.seriesWindow = seriesWindow
        self.patchInterval = patchInterval
        self.burst = burst
        self.refillInterval = refillInterval
        self.maximumSeries = maximumSeries
        self.writes = TokenBucket(burst: writeBurst, refillInterval: .roundedSeconds(1 / writesPerSecond))
    }

    /// One occurrence of an event.
    public mutating func record(_ identity: EventIdentity, now: Instant, wallNow: Date) -> Action {
        if var existing = series[identity], existing.lastSeenAt.advanced(by: seriesWindow) > now {
            existing.count += 1
            existing.lastObserved = wallNow
            existing.lastSeenAt = now
            defer { series[identity] = existing }
            return patchIfDue(identity, &existing, now: now)
        }
        guard writes.allows(now: now), takeToken(for: identity.regarding, now: now) else { return .dropped }
        _ = writes.take(now: now)
        series[identity] = Series(
            name: nil, namespace: nil, count: 1, lastObserved: wallNow, lastSeenAt: now, lastWrittenAt: nil,
            writtenCount: 0, writeInFlight: true)
        evictIfNeeded(now: now)
        return .create(identity, eventTime: wallNow)
    }

    /// The Event for `identity` was created with this name.
    public mutating func created(_ identity: EventIdentity, name: String, namespace: String, now: Instant) {
        guard var existing = series[identity] else { return }
        existing.name = name
        existing.namespace = namespace
        existing.writeInFlight = false
        existing.lastWrittenAt = now
        existing.writtenCount = 1
        series[identity] = existing
    }

    /// The series patch for `identity` was accepted.
    public mutating func patched(_ identity: EventIdentity, count: Int, now: Instant) {
        guard var existing = series[identity] else { return }
        existing.writeInFlight = false
        existing.lastWrittenAt = now
        existing.writtenCount = max(existing.writtenCount, count)
        series[identity] = existing
    }

    /// A create or patch failed: forget the series (the next occurrence starts a new Event, if
    /// the rate limit allows). Events are best effort; they must never block reconciling.
    public mutating func writeFailed(_ identity: EventIdentity) {
        series[identity] = nil
    }

    /// Patches for series that have unwritten repeats and whose patch interval has passed.
    public mutating func flush(now: Instant) -> [Action] {
        var actions: [Action] = []
        for (identity, var entry) in series where entry.count > entry.writtenCount && !entry.writeInFlight {
            let action = patchIfDue(identity, &entry, now: now)
            series[identity] = entry
            if case .patchSeries = action { actions.append(action) }
        }
        return actions
    }

    /// Whether any series has repeats not yet written.
    public var hasUnwrittenRepeats: Bool {
        series.values.contains { $0.count > $0.writtenCount }
    }

    private func isPatchDue(_ entry: Series, now: Instant) -> Bool {
        guard let written = entry.lastWrittenAt, !entry.writeInFlight, entry.name != nil else { return false }
        return written.advanced(by: patchInterval) <= now
    }

    private mutating func patchIfDue(_ identity: EventIdentity, _ entry: inout Series, now: Instant) -> Action {
        // Without a write token the repeat stays counted and a later flush writes it.
        guard isPatchDue(entry, now: now), let name = entry.name, let namespace = entry.namespace,
            writes.take(now: now)
        else { return .aggregated }
        entry.writeInFlight = true
        return .patchSeries(identity, name: name, namespace: namespace, count: entry.count, lastObservedTime: entry.lastObserved)
    }

    private mutating func takeToken(for object: ObjectReference, now: Instant) -> Bool {
        var bucket = buckets[object] ?? TokenBucket(burst: burst, refillInterval: refillInterval)
        let allowed = bucket.take(now: now)
        buckets[object] = bucket
        return allowed
    }

    private mutating func evictIfNeeded(now: Instant) {
        guard series.count > maximumSeries else { return }
        series = series.filter { $0.value.lastSeenAt.advanced(by: seriesWindow) > now || $0.value.writeInFlight }
        while series.count > maximumSeries, let oldest = series.min(by: { $0.value.lastSeenAt < $1.value.lastSeenAt }) {
            series[oldest.key] = nil
        }
        // Buckets that have refilled completely carry no information.
        buckets = buckets.filter { !$0.value.isFull(now: now) }
    }
}
