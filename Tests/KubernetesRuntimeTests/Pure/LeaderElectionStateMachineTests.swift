import Foundation
import Testing
@testable import KubernetesRuntime

@Suite struct LeaderElectionStateMachineTests {
    typealias Machine = LeaderElectionStateMachine<TestInstant>
    let wall = Date(timeIntervalSince1970: 1_800_000_000)

    func machine(_ identity: String) -> Machine { Machine(identity: identity) }

    func othersLease(renewedAt: Date? = nil, transitions: Int = 3) -> LeaseRecord {
        LeaseRecord(holderIdentity: "other", leaseDurationSeconds: 15, acquireTime: renewedAt, renewTime: renewedAt, leaseTransitions: transitions)
    }

    @Test func createsAMissingLeaseAndBecomesLeader() {
        var sm = machine("me")
        do { let value = sm.start(); #expect(value.step == .get) }
        let create = sm.leaseRead(nil, resourceVersion: nil, now: .zero, wallNow: wall)
        guard case .create(let record) = create.step else { Issue.record("expected create, got \(create)"); return }
        #expect(record.holderIdentity == "me")
        #expect(record.leaseDurationSeconds == 15)
        #expect(record.leaseTransitions == 0)
        let written = sm.writeSucceeded(record, resourceVersion: "1", now: .zero)
        #expect(written.leadership == .acquired)
        #expect(written.step == .wait(.seconds(2)))
        #expect(sm.isLeader)
    }

    @Test func waitsForAnotherHoldersLeaseToExpireByItsOwnClock() {
        var sm = machine("me")
        _ = sm.start()
        // The holder's renewTime is far in the past (skewed clock): irrelevant, we time it ourselves.
        let lease = othersLease(renewedAt: wall.addingTimeInterval(-3600))
        do { let value = sm.leaseRead(lease, resourceVersion: "7", now: .zero, wallNow: wall); #expect(value.step == .wait(.seconds(2))) }
        do { let value = sm.retryPeriodElapsed(now: .seconds(2), wallNow: wall); #expect(value.step == .get) }
        do { let value = sm.leaseRead(lease, resourceVersion: "7", now: .seconds(14.9), wallNow: wall); #expect(value.step == .wait(.seconds(2))) }
        let takeOver = sm.leaseRead(lease, resourceVersion: "7", now: .seconds(15), wallNow: wall)
        guard case .update(let record, resourceVersion: "7") = takeOver.step else { Issue.record("expected takeover, got \(takeOver)"); return }
        #expect(record.holderIdentity == "me")
        #expect(record.leaseTransitions == 4)
        #expect(record.acquireTime == wall)
        do { let value = sm.writeSucceeded(record, resourceVersion: "8", now: .seconds(15)); #expect(value.leadership == .acquired) }
    }

    @Test func aRenewalByTheHolderRestartsTheExpiryClock() {
        var sm = machine("me")
        _ = sm.start()
        _ = sm.leaseRead(othersLease(renewedAt: wall), resourceVersion: "7", now: .zero, wallNow: wall)
        let renewed = othersLease(renewedAt: wall.addingTimeInterval(10))
        do { let value = sm.leaseRead(renewed, resourceVersion: "8", now: .seconds(10), wallNow: wall); #expect(value.step == .wait(.seconds(2))) }
        // 15 s after we first saw the lease, but only 6 s after it changed: still held.
        do { let value = sm.leaseRead(renewed, resourceVersion: "8", now: .seconds(16), wallNow: wall); #expect(value.step == .wait(.seconds(2))) }
        guard case .update = sm.leaseRead(renewed, resourceVersion: "8", now: .seconds(25), wallNow: wall).step else {
            Issue.record("expired 15 s after the last change"); return
        }
    }

    @Test func aReleasedLeaseIsTakenImmediately() {
        var sm = machine("me")
        _ = sm.start()
        let released = LeaseRecord(holderIdentity: "", leaseDurationSeconds: 1, acquireTime: wall, renewTime: wall, leaseTransitions: 2)
        guard case .update(let record, _) = sm.leaseRead(released, resourceVersion: "9", now: .zero, wallNow: wall).step else {
            Issue.record("free lease must be taken"); return
        }
        #expect(record.leaseTransitions == 3)
    }

    @Test func theLeaderRenewsWithoutRereadingAndKeepsAcquireTimeAndTransitions() {
        var sm = machine("me")
        _ = sm.start()
        guard case .create(let created) = sm.leaseRead(nil, resourceVersion: nil, now: .zero, wallNow: wall).step else { return }
        _ = sm.writeSucceeded(created, resourceVersion: "1", now: .zero)
        let later = wall.addingTimeInterval(2)
        let renew = sm.retryPeriodElapsed(now: .seconds(2), wallNow: later)
        guard case .update(let record, resourceVersion: "1") = renew.step else { Issue.record("expected renew, got \(renew)"); return }
        #expect(record.acquireTime == wall)
        #expect(record.renewTime == later)
        #expect(record.leaseTransitions == 0)
        let renewed = sm.writeSucceeded(record, resourceVersion: "2", now: .seconds(2))
        #expect(renewed.leadership == nil)
        #expect(sm.isLeader)
    }

    @Test func aConflictRereadsTheLease() {
        var sm = machine("me")
        _ = sm.start()
        _ = sm.leaseRead(nil, resourceVersion: nil, now: .zero, wallNow: wall)
        do { let value = sm.requestFailed(conflict: true, now: .zero); #expect(value.step == .get) }
        // Somebody else created it first: we follow.
        let other = sm.leaseRead(othersLease(renewedAt: wall), resourceVersion: "3", now: .zero, wallNow: wall)
        #expect(other.step == .wait(.seconds(2)))
        #expect(other.leadership == nil)
        #expect(!sm.isLeader)
    }

    @Test func theLeaderGivesUpWhenItCannotRenewWithinTheRenewDeadline() {
        var sm = machine("me")
        _ = sm.start()
        guard case .create(let created) = sm.leaseRead(nil, resourceVersion: nil, now: .zero, wallNow: wall).step else { return }
        _ = sm.writeSucceeded(created, resourceVersion: "1", now: .zero)
        #expect(sm.renewalDeadline == .seconds(10))
        var now = TestInstant.zero
        for _ in 0..<4 {
            now = now.advanced(by: .seconds(2))
            guard case .update = sm.retryPeriodElapsed(now: now, wallNow: wall).step else { Issue.record("renew"); return }
            let failed = sm.requestFailed(conflict: false, now: now)
            #expect(failed.leadership == nil)
            #expect(sm.isLeader)
        }
        let lost = sm.requestFailed(conflict: false, now: .seconds(10))
        #expect(lost.leadership == .lost)
        #expect(!sm.isLeader)
        // Afterwards it is an ordinary candidate again.
        do { let value = sm.retryPeriodElapsed(now: .seconds(12), wallNow: wall); #expect(value.step == .get) }
    }

    @Test func theLeaderStepsDownWhenItFindsSomebodyElseHoldingTheLease() {
        var sm = machine("me")
        _ = sm.start()
        guard case .create(let created) = sm.leaseRead(nil, resourceVersion: nil, now: .zero, wallNow: wall).step else { return }
        _ = sm.writeSucceeded(created, resourceVersion: "1", now: .zero)
        _ = sm.retryPeriodElapsed(now: .seconds(2), wallNow: wall)
        do { let value = sm.requestFailed(conflict: true, now: .seconds(2)); #expect(value.step == .get) }
        let read = sm.leaseRead(othersLease(renewedAt: wall), resourceVersion: "5", now: .seconds(2), wallNow: wall)
        #expect(read.leadership == .lost)
        #expect(!sm.isLeader)
    }

    @Test func shutdownReleasesAHeldLease() {
        var sm = machine("me")
        _ = sm.start()
        guard case .create(let created) = sm.leaseRead(nil, resourceVersion: nil, now: .zero, wallNow: wall).step else { return }
        _ = sm.writeSucceeded(created, resourceVersion: "1", now: .zero)
        let release = sm.shutDown(now: .seconds(1), wallNow: wall)
        #expect(release.leadership == .lost)
        guard case .update(let record, resourceVersion: "1") = release.step else { Issue.record("expected release, got \(release)"); return }
        #expect(record.holder == nil)
        #expect(record.leaseDurationSeconds == 1)
        #expect(record.leaseTransitions == 0)
        do { let value = sm.writeSucceeded(record, resourceVersion: "2", now: .seconds(1)); #expect(value.step == .stop) }
    }

    @Test func shutdownOfAFollowerWritesNothing() {
        var sm = machine("me")
        _ = sm.start()
        _ = sm.leaseRead(othersLease(renewedAt: wall), resourceVersion: "3", now: .zero, wallNow: wall)
        let stop = sm.shutDown(now: .seconds(1), wallNow: wall)
        #expect(stop.step == .stop)
        #expect(stop.leadership == nil)
    }
}
