import ContainerdSandbox
import Foundation
import NodeInstaller
import Testing

/// containerd failing to come back, and the installer dying half-way.
@Suite(.enabled(if: InstallerHarness.isAvailable, "needs root, Debian's containerd and the built installer"))
struct RecoveryTests {
    @Test func containerdNotComingBackRollsBackToTheOriginalBytes() async throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        let tree = h.hostTree()
        let original = h.configBytes
        let ctl = h.sandbox.controlDirectory
        // The first restart leaves containerd down (as when it cannot start with the new config); later ones work.
        let flaky = "if [ ! -e '\(ctl)/broke-once' ]; then touch '\(ctl)/broke-once'; sh '\(ctl)/stop.sh'; exit 0; fi; exec sh '\(ctl)/restart.sh'"

        let run = try h.run("install", restartCommand: flaky, verifyTimeout: 5)
        let report = try #require(run.report, "no report: \(run.stdout) \(run.stderr)")
        #expect(run.status == 1)
        #expect(report.result == .failed)
        #expect(report.rolledBack)
        #expect(report.error?.code == "VerificationFailed")
        #expect(report.error?.message.contains("healthy again") == true, "\(report.error?.message ?? "")")
        #expect(report.encoded().count < 4096)
        #expect(h.configBytes == original)
        #expect(h.hostTree() == tree)
        #expect(h.sandbox.pid != nil)
        let loaded = try await h.loadedRuntimes()
        #expect(loaded["runc"] != nil)
        #expect(loaded[InstallerHarness.handler] == nil)

        // The host is as before, so the next attempt simply installs.
        #expect(try h.run("install").report?.result == .installed)
    }

    @Test(arguments: ["binaries", "config"])
    func killedHalfWayTheNextRunConvergesWithOneRestartAtMost(_ step: String) async throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        let crashed = try h.run("install", environment: ["KWASM_TEST_CRASH_AFTER": step])
        #expect(crashed.status == 128 + 9, "expected SIGKILL: \(crashed.stdout) \(crashed.stderr)")
        #expect(crashed.report == nil)

        let starts = h.sandbox.startCount
        let retry = try h.run("install")
        #expect(retry.status == 0)
        #expect(retry.report?.result == .installed, "\(retry.stdout)")
        #expect(h.sandbox.startCount - starts <= 1)
        #expect(try await h.loadedRuntimes()[InstallerHarness.handler]?.runtimeType == InstallerHarness.runtimeType)

        let third = try h.run("install")
        #expect(third.report?.result == .unchanged)
        #expect(h.sandbox.startCount - starts <= 1)
    }

    @Test func aRetryAfterContainerdAlreadyRestartedDoesNotRestartAgain() async throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        // Killed right after writing the config; then containerd restarts anyway (k3s restarting kills our pod).
        #expect(try h.run("install", environment: ["KWASM_TEST_CRASH_AFTER": "config"]).status == 137)
        try h.sandbox.restart()
        let starts = h.sandbox.startCount
        let retry = try h.run("install")
        #expect(retry.report?.result == .installed, "\(retry.stdout)")
        #expect(retry.report?.restarted == false)
        #expect(h.sandbox.startCount == starts)
        #expect(try await h.loadedRuntimes()[InstallerHarness.handler] != nil)
    }
}

/// Debian's packaged config has no runtimes table: adding one must not cost CRI its built-in `runc`
/// (containerd 1.6 then fails to load the CRI plugin; this test found that, the engine now keeps runc).
@Suite(.enabled(if: InstallerHarness.isAvailable, "needs root, Debian's containerd and the built installer"))
struct DebianStockConfigTests {
    @Test func installOnDebiansStockConfigKeepsRuncWorking() async throws {
        let h = try InstallerHarness(config: ContainerdSandbox.debianStockConfig(hostRoot: "{{HOST_ROOT}}"))
        defer { h.destroy() }
        let original = h.configBytes
        let run = try h.run("install", verifyTimeout: 10)
        let report = try #require(run.report, "no report: \(run.stdout) \(run.stderr)")
        #expect(report.result == .installed, "\(run.stdout)")
        let loaded = try await h.loadedRuntimes()
        #expect(loaded[InstallerHarness.handler]?.runtimeType == InstallerHarness.runtimeType)
        #expect(loaded["runc"] != nil)
        // Pods of both handlers start through CRI: the default runc one and ours.
        #expect(try await h.runPod(handler: "runc", ["echo", "runc-ok"]).stdout == "runc-ok\n")
        #expect(try await h.runPod(handler: InstallerHarness.handler, ["echo", "kwtest-ok"]).stdout == "kwtest-ok\n")
        #expect(try h.run("uninstall").report?.result == .uninstalled)
        #expect(h.configBytes == original)
    }
}
