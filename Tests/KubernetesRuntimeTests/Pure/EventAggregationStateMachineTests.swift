import Foundation
import KubernetesClient
import Testing
@testable import KubernetesRuntime

@Suite struct EventAggregationStateMachineTests {
    typealias Machine = EventAggregationStateMachine<TestInstant>
    let wall = Date(timeIntervalSince1970: 1_800_000_000)
    let node = ObjectReference(apiVersion: "v1", kind: "Node", name: "n1", uid: "u1", resourceVersion: "1")

    func identity(note: String = "bad value", resourceVersion: String = "1") -> EventIdentity {
        var node = node
        node.resourceVersion = resourceVersion
        return EventIdentity(regarding: node, type: .warning, reason: "InvalidAnnotation", action: "Reconcile", note: note)
    }

    @Test func repeatsBecomeASeriesOnTheFirstEventInsteadOfNewEvents() {
        var sm = Machine(patchInterval: .seconds(10))
        guard case .create = sm.record(identity(), now: .zero, wallNow: wall) else { Issue.record("first creates"); return }
        sm.created(identity(), name: "n1.abc", namespace: "default", now: .zero)
        // Same event, object changed meanwhile (new resourceVersion): still the same series.
        do { let value = sm.record(identity(resourceVersion: "2"), now: .seconds(1), wallNow: wall); #expect(value == .aggregated) }
        do { let value = sm.record(identity(), now: .seconds(2), wallNow: wall); #expect(value == .aggregated) }
        let later = wall.addingTimeInterval(11)
        let patch = sm.record(identity(), now: .seconds(11), wallNow: later)
        #expect(patch == .patchSeries(identity(), name: "n1.abc", namespace: "default", count: 4, lastObservedTime: later))
        sm.patched(identity(), count: 4, now: .seconds(11))
        #expect(!sm.hasUnwrittenRepeats)
    }

    @Test func flushWritesRepeatsThatWereHeldBack() {
        var sm = Machine(patchInterval: .seconds(10))
        _ = sm.record(identity(), now: .zero, wallNow: wall)
        // A repeat while the create is in flight.
        do { let value = sm.record(identity(), now: .zero, wallNow: wall); #expect(value == .aggregated) }
        sm.created(identity(), name: "e", namespace: "default", now: .seconds(1))
        do { let value = sm.flush(now: .seconds(5)); #expect(value.isEmpty) }
        do { let value = sm.flush(now: .seconds(11)); #expect(value == [.patchSeries(identity(), name: "e", namespace: "default", count: 2, lastObservedTime: wall)]) }
        // In flight: not patched twice.
        do { let value = sm.flush(now: .seconds(30)); #expect(value.isEmpty) }
    }

    @Test func aDifferentNoteIsADifferentEventAndAnOldSeriesEnds() {
        var sm = Machine(seriesWindow: .seconds(60))
        _ = sm.record(identity(), now: .zero, wallNow: wall)
        sm.created(identity(), name: "e1", namespace: "default", now: .zero)
        guard case .create = sm.record(identity(note: "other"), now: .seconds(1), wallNow: wall) else { Issue.record("new note"); return }
        guard case .create = sm.record(identity(), now: .seconds(120), wallNow: wall) else { Issue.record("window passed"); return }
    }

    @Test func newEventsPerObjectAreRateLimited() {
        var sm = Machine(burst: 3, refillInterval: .seconds(60))
        var created = 0
        for index in 0..<10 {
            if case .create = sm.record(identity(note: "n\(index)"), now: .zero, wallNow: wall) { created += 1 }
        }
        #expect(created == 3)
        do { let value = sm.record(identity(note: "late"), now: .seconds(30), wallNow: wall); #expect(value == .dropped) }
        guard case .create = sm.record(identity(note: "later"), now: .seconds(60), wallNow: wall) else { Issue.record("refilled"); return }
    }

    @Test func aFailedWriteForgetsTheSeries() {
        var sm = Machine()
        _ = sm.record(identity(), now: .zero, wallNow: wall)
        sm.writeFailed(identity())
        guard case .create = sm.record(identity(), now: .seconds(1), wallNow: wall) else { Issue.record("starts over"); return }
    }

    @Test func allWritesTogetherAreLimitedAndHeldBackRepeatsAreFlushedLater() {
        var sm = Machine(patchInterval: .zero, writeBurst: 3, writesPerSecond: 1)
        let nodes = (0..<5).map { ObjectReference(apiVersion: "v1", kind: "Node", name: "n\($0)", uid: "u\($0)") }
        var created: [EventIdentity] = []
        for node in nodes {
            let identity = EventIdentity(regarding: node, type: .normal, reason: "Installed", action: "Install", note: "ok")
            if case .create = sm.record(identity, now: .zero, wallNow: wall) { created.append(identity) }
        }
        #expect(created.count == 3, "the other objects' events were dropped")
        for identity in created { sm.created(identity, name: identity.regarding.name!, namespace: "default", now: .zero) }
        // A repeat with no write token left is counted, not written…
        #expect(sm.record(created[0], now: .zero, wallNow: wall) == .aggregated)
        #expect(sm.flush(now: .zero).isEmpty)
        // …until a token is back.
        #expect(sm.flush(now: .seconds(1)) == [.patchSeries(created[0], name: "n0", namespace: "default", count: 2, lastObservedTime: wall)])
    }
}
