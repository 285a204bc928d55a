import Testing
@testable import KubernetesRuntime

@Suite struct WatcherStateMachineTests {
    typealias Machine = WatcherStateMachine<String>

    func machine() -> Machine { Machine(backoff: Backoff(initial: .seconds(1), maximum: .seconds(8), jitter: 0)) }

    @Test func listsAllPagesThenEmitsTheFullListAndWatchesFromItsVersion() {
        var sm = machine()
        guard case .list(continue: nil) = sm.start() else { Issue.record("must start with a list"); return }
        guard case .list(continue: "page2") = sm.listPageReceived(["a", "b"], continue: "page2", resourceVersion: "10") else {
            Issue.record("must follow the continue token"); return
        }
        let action = sm.listPageReceived(["c"], continue: nil, resourceVersion: "12")
        guard case .emitAndWatch(.restarted(let all), resourceVersion: "12") = action else {
            Issue.record("expected restarted + watch, got \(action)"); return
        }
        #expect(all == ["a", "b", "c"])
    }

    @Test func watchEventsAreEmittedAndBookmarksMoveTheResumeVersion() {
        var sm = machine()
        _ = sm.start()
        _ = sm.listPageReceived([], continue: nil, resourceVersion: "5")
        guard case .emit(.applied("x")) = sm.watchEventReceived(.added("x", resourceVersion: "6")) else { Issue.record("added"); return }
        guard case .emit(.applied("x")) = sm.watchEventReceived(.modified("x", resourceVersion: "7")) else { Issue.record("modified"); return }
        guard case .emit(.deleted("x")) = sm.watchEventReceived(.deleted("x", resourceVersion: "8")) else { Issue.record("deleted"); return }
        guard case .keepWatching = sm.watchEventReceived(.bookmark(resourceVersion: "42")) else { Issue.record("bookmark"); return }
        #expect(sm.lastResourceVersion == "42")
        // The server closed the watch after its timeout: resume right away from the bookmark.
        guard case .watch(resourceVersion: "42") = sm.watchEnded() else { Issue.record("resume"); return }
    }

    @Test func aWatchThatEndsWithoutDeliveringAnythingBacksOffInsteadOfSpinning() {
        var sm = machine()
        _ = sm.start()
        _ = sm.listPageReceived([], continue: nil, resourceVersion: "5")
        guard case .wait(.seconds(1)) = sm.watchEnded() else { Issue.record("empty watch backs off"); return }
        guard case .watch(resourceVersion: "5") = sm.backoffElapsed() else { Issue.record("resume"); return }
        guard case .wait(.seconds(2)) = sm.watchEnded() else { Issue.record("and keeps backing off"); return }
        _ = sm.backoffElapsed()
        _ = sm.watchEventReceived(.bookmark(resourceVersion: "6"))
        guard case .watch(resourceVersion: "6") = sm.watchEnded() else { Issue.record("a watch that delivered resumes at once"); return }
    }

    @Test func aDroppedConnectionBacksOffThenResumesFromTheLastVersionWithoutRelisting() {
        var sm = machine()
        _ = sm.start()
        _ = sm.listPageReceived(["a"], continue: nil, resourceVersion: "5")
        _ = sm.watchEventReceived(.modified("a", resourceVersion: "9"))
        guard case .wait(.seconds(1)) = sm.requestFailed(.transient) else { Issue.record("first backoff"); return }
        guard case .watch(resourceVersion: "9") = sm.backoffElapsed() else { Issue.record("resume from 9"); return }
        guard case .wait(.seconds(2)) = sm.requestFailed(.transient) else { Issue.record("backoff grows"); return }
        guard case .watch(resourceVersion: "9") = sm.backoffElapsed() else { Issue.record("resume again"); return }
        // An event proves the watch healthy: the next failure starts from the initial delay.
        _ = sm.watchEventReceived(.bookmark(resourceVersion: "11"))
        guard case .wait(.seconds(1)) = sm.requestFailed(.transient) else { Issue.record("backoff reset"); return }
        guard case .watch(resourceVersion: "11") = sm.backoffElapsed() else { Issue.record("resume from bookmark"); return }
    }

    @Test func goneOnTheWatchRelistsFromScratch() {
        var sm = machine()
        _ = sm.start()
        _ = sm.listPageReceived(["a"], continue: nil, resourceVersion: "5")
        guard case .wait = sm.requestFailed(.gone) else { Issue.record("backoff before relist"); return }
        #expect(sm.lastResourceVersion == nil)
        guard case .list(continue: nil) = sm.backoffElapsed() else { Issue.record("relist"); return }
        guard case .emitAndWatch(.restarted(["b"]), resourceVersion: "30") = sm.listPageReceived(["b"], continue: nil, resourceVersion: "30") else {
            Issue.record("fresh list replaces the old one"); return
        }
    }

    @Test func anErrorEventInTheStreamRelists() {
        var sm = machine()
        _ = sm.start()
        _ = sm.listPageReceived([], continue: nil, resourceVersion: "5")
        guard case .wait = sm.watchEventReceived(.error(code: 410)) else { Issue.record("410 event"); return }
        guard case .list(continue: nil) = sm.backoffElapsed() else { Issue.record("relist after 410"); return }
        _ = sm.listPageReceived([], continue: nil, resourceVersion: "6")
        guard case .wait = sm.watchEventReceived(.error(code: 500)) else { Issue.record("500 event"); return }
        guard case .list(continue: nil) = sm.backoffElapsed() else { Issue.record("relist after other error"); return }
    }

    @Test func aFailedPageIsRetriedButAnExpiredContinueTokenStartsTheListOver() {
        var sm = machine()
        _ = sm.start()
        _ = sm.listPageReceived(["a"], continue: "t1", resourceVersion: "5")
        guard case .wait = sm.requestFailed(.transient) else { Issue.record("backoff"); return }
        guard case .list(continue: "t1") = sm.backoffElapsed() else { Issue.record("retry same page"); return }
        guard case .wait = sm.requestFailed(.gone) else { Issue.record("backoff"); return }
        guard case .list(continue: nil) = sm.backoffElapsed() else { Issue.record("list from the start"); return }
        // Pages of the abandoned list are not mixed into the new one.
        guard case .emitAndWatch(.restarted(["z"]), _) = sm.listPageReceived(["z"], continue: nil, resourceVersion: "9") else {
            Issue.record("only the new list"); return
        }
    }

    @Test func repeatedFailuresBackOffExponentiallyUpToTheMaximum() {
        var sm = machine()
        _ = sm.start()
        var delays: [Duration] = []
        for _ in 0..<6 {
            guard case .wait(let delay) = sm.requestFailed(.transient) else { Issue.record("wait"); return }
            delays.append(delay)
            _ = sm.backoffElapsed()
        }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8)])
    }
}
