import Foundation
import KubernetesClient
import Logging
import ServiceLifecycle
import Synchronization

/// Publishes `events.k8s.io/v1` Events about objects, aggregating repeats and rate limiting
/// (see ``EventAggregationStateMachine``): a reconciler may call ``record(_:reason:action:note:regarding:)``
/// on every pass without flooding the API server.
///
/// Recording never throws and never fails a reconcile: Events are best effort. Run the recorder
/// as a ServiceLifecycle `Service` so repeats held back by the patch interval get written
/// (periodically and once more on graceful shutdown); without it they are written with the next
/// occurrence.
public final class EventRecorder: Service, Sendable {
    private let client: KubernetesClient
    private let reportingController: String
    private let reportingInstance: String
    private let logger: Logger
    private let clock = ContinuousClock()
    private let machine: Mutex<EventAggregationStateMachine<ContinuousClock.Instant>>

    /// - Parameters:
    ///   - reportingController: e.g. `kwasm.sh/operator`.
    ///   - reportingInstance: this replica, e.g. the pod name.
    ///   - patchInterval: the least time between two writes of one Event's series count.
    ///   - burst, refillInterval: new Events per regarding object (client-go: 25, then one per 5 min).
    ///   - writeBurst, writesPerSecond: all writes of this recorder together.
    public init(
        client: KubernetesClient, reportingController: String, reportingInstance: String,
        seriesWindow: Duration = .seconds(600), patchInterval: Duration = .seconds(10),
        burst: Int = 25, refillInterval: Duration = .seconds(300),
        writeBurst: Int = 25, writesPerSecond: Double = 5,
        logger: Logger = Logger(label: "kubernetes-runtime.events")
    ) {
        self.client = client
        self.reportingController = reportingController
        self.reportingInstance = reportingInstance
        self.logger = logger
        machine = Mutex(EventAggregationStateMachine(
            seriesWindow: seriesWindow, patchInterval: patchInterval, burst: burst, refillInterval: refillInterval,
            writeBurst: writeBurst, writesPerSecond: writesPerSecond))
    }

    /// Records an event about `object`.
    public func record<Regarding: KubernetesResource>(
        _ type: EventType, reason: String, action: String, note: String, regarding object: Regarding
    ) async {
        await record(type, reason: reason, action: action, note: note, regarding: object.objectReference)
    }

    /// Records an event about the object `regarding` refers to.
    public func record(_ type: EventType, reason: String, action: String, note: String, regarding: ObjectReference) async {
        let identity = EventIdentity(regarding: regarding, type: type, reason: reason, action: action, note: Self.truncate(note))
        let now = clock.now
        let decision = machine.withLock { $0.record(identity, now: now, wallNow: Date()) }
        await perform(decision)
    }

    /// Writes repeats that the patch interval held back.
    public func flush() async {
        let now = clock.now
        let actions = machine.withLock { $0.flush(now: now) }
        for action in actions { await perform(action) }
    }

    /// Flushes held-back repeats every few seconds; flushes once more on graceful shutdown.
    public func run() async throws {
        let interval = machine.withLock { $0.patchInterval }
        _ = try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                try await Task.sleep(for: max(interval, .milliseconds(100)))
                await flush()
            }
        }
        await flush()
    }

    private func perform(_ action: EventAggregationStateMachine<ContinuousClock.Instant>.Action) async {
        switch action {
        case .aggregated:
            return
        case .dropped:
            logger.debug("event dropped by the rate limit")
        case .create(let identity, let eventTime):
            let namespace = identity.regarding.namespace ?? "default"
            let event = Event(
                metadata: ObjectMeta(name: Self.eventName(for: identity.regarding, at: eventTime), namespace: namespace),
                eventTime: MicroTime(eventTime), reportingController: reportingController,
                reportingInstance: reportingInstance, action: identity.action, reason: identity.reason,
                regarding: identity.regarding, note: identity.note, type: identity.type.rawValue)
            do {
                let created = try await client.create(event)
                let now = clock.now
                machine.withLock { $0.created(identity, name: created.metadata.name ?? "", namespace: namespace, now: now) }
            } catch {
                machine.withLock { $0.writeFailed(identity) }
                logger.warning("creating an event failed", metadata: ["error": "\(error)", "reason": "\(identity.reason)"])
            }
        case .patchSeries(let identity, let name, let namespace, let count, let lastObserved):
            do {
                let series = Event.Series(count: Int32(clamping: count), lastObservedTime: MicroTime(lastObserved))
                let patch: JSONValue = .object(["series": try JSONValue(encoding: series)])
                _ = try await client.mergePatch(Event.self, name: name, namespace: namespace, patch: patch)
                let now = clock.now
                machine.withLock { $0.patched(identity, count: count, now: now) }
            } catch {
                machine.withLock { $0.writeFailed(identity) }
                logger.warning("updating an event series failed", metadata: ["error": "\(error)", "event": "\(namespace)/\(name)"])
            }
        }
    }

    /// `<object name>.<hex nanoseconds>`, as client-go names events.
    static func eventName(for regarding: ObjectReference, at time: Date) -> String {
        let nanoseconds = UInt64(max(0, time.timeIntervalSince1970) * 1e9)
        let prefix = String((regarding.name ?? "event").prefix(200))
        return "\(prefix).\(String(nanoseconds, radix: 16))"
    }

    /// The API server rejects notes over 1 KiB.
    static func truncate(_ note: String) -> String {
        guard note.utf8.count > 1024 else { return note }
        var result = ""
        for character in note {
            if result.utf8.count + character.utf8.count > 1021 { break }
            result.append(character)
        }
        return result + "..."
    }
}
