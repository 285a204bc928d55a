import Foundation
import KubernetesClient
import Testing

/// Issue #12: the runtime catalog is the installer image's `runtimes.json`, not a list compiled into the
/// operator. The operator takes any runtime name in `--runtimes`; a name the image does not hold is
/// refused by the real installer on the node, before it writes anything, and the user sees it where
/// they look: phase Failed with reason `UnknownRuntime` naming the runtime, a Warning `InstallFailed`
/// event on the Node, no readiness label, and the host exactly as before.
@Suite("Runtime the installer image lacks, end to end")
struct UnknownRuntimeEndToEndTests {
    static let missing = "not-in-this-image"

    @Test("--runtimes names a runtime runtimes.json lacks → Failed/UnknownRuntime, Warning InstallFailed, no label, host untouched",
          .enabled(if: BuiltPrograms.endToEndAvailable), .timeLimit(.minutes(10)))
    func aRuntimeTheImageLacksFailsWithUnknownRuntime() async throws {
        let e2e = try await EndToEndCluster.start(operatorArguments: ["--max-attempts", "1"],
                                                  runtimes: EndToEndCluster.runtime + "," + Self.missing)
        do {
            try await refused(e2e)
        } catch {
            Issue.record("operator log (last lines):\n\(e2e.operatorProcess.logTail())")
            await e2e.tearDown()
            throw error
        }
        await e2e.tearDown()
    }

    func refused(_ e2e: EndToEndCluster) async throws {
        let client = e2e.client
        let node = EndToEndCluster.nodeName
        let treeBefore = e2e.hostTree()
        let containerdBefore = e2e.sandbox.pid
        let labels = e2e.recordReadinessLabel()
        defer { labels.stop() }
        let steps = OperatorEndToEndTests()

        let status = try await steps.annotateAndWaitUntilSettled(e2e)
        try #require(status.status?.phase == .failed, "phase \(String(describing: status.status?.phase))")
        let lastError = try #require(status.status?.lastError)
        #expect(lastError.code == "UnknownRuntime", "lastError: \(lastError)")
        #expect(lastError.message?.contains(Self.missing) == true, "lastError: \(lastError)")
        let ready = status.status?.conditions?.first { $0.type == "Ready" }
        #expect(ready?.status == "False" && ready?.reason == "UnknownRuntime", "Ready: \(String(describing: ready))")

        let events = try await steps.waitFor("a Warning InstallFailed event on Node \(node)", e2e) { () -> [Event]? in
            let events = try await client.list(Event.self).items.filter {
                $0.reason == "InstallFailed" && $0.regarding?.kind == "Node" && $0.regarding?.name == node
            }
            return events.contains { $0.note?.contains("UnknownRuntime") == true } ? events : nil
        }
        #expect(events.allSatisfy { $0.type == "Warning" }, "events: \(events.map { "\($0.type ?? "") \($0.note ?? "")" })")

        // Nothing to schedule onto: never labelled; the host (config, files, the running containerd) untouched.
        #expect(labels.recorded == [ReadinessLabel(value: nil)], "label history: \(labels.recorded)")
        #expect(e2e.hostConfig == e2e.originalConfig, "config.toml:\n\(String(decoding: e2e.hostConfig, as: UTF8.self))")
        let changes = EndToEndCluster.differences(treeBefore, e2e.hostTree())
        #expect(changes.isEmpty, "host changed:\n\(changes.joined(separator: "\n"))")
        #expect(e2e.sandbox.startCount == 1 && e2e.sandbox.pid == containerdBefore, "containerd was restarted")
    }
}
