import ContainerdSandbox
import Foundation
import NodeInstaller
import Testing

/// The installer binary against a real containerd in a sandbox (issue 4's proof list).
@Suite(.enabled(if: InstallerHarness.isAvailable, "needs root, Debian's containerd and the built installer"))
struct InstallFlowTests {
    @Test func installRunsAContainerThroughTheShimAndASecondRunChangesNothing() async throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        let original = h.configBytes
        let firstPid = try #require(h.sandbox.pid)

        let first = try h.run("install")
        let report = try #require(first.report, "no report: \(first.stdout) \(first.stderr)")
        #expect(first.status == 0)
        #expect(report.result == .installed, "\(report)")
        #expect(report.restarted)
        #expect(report.configSchema == 2)
        #expect(report.containerdVersion == "1.6.20")
        #expect(report.backupPath == "/etc/containerd/config.toml.kwasm-backup")
        #expect(report.runtimes.first?.path == InstallerHarness.shimHostPath)
        #expect(h.sandbox.pid != firstPid)
        #expect(FileManager.default.contents(atPath: h.sandbox.configPath + ".kwasm-backup") == original)

        let loaded = try await h.loadedRuntimes()
        #expect(loaded[InstallerHarness.handler]?.runtimeType == InstallerHarness.runtimeType)

        // Verified means a pod can use it: the installer started a probe pod, and so can the kubelet.
        #expect(report.verification?.hasPrefix("pod-sandbox") == true, "\(report)")
        let run = try await h.runPod(handler: InstallerHarness.handler, ["echo", "hello-from-kwtest"])
        #expect(run.exitCode == 0, "\(run)")
        #expect(run.stdout == "hello-from-kwtest\n")

        let pidAfterInstall = h.sandbox.pid
        let configAfterInstall = h.configBytes
        let treeAfterInstall = h.hostTree()
        let second = try h.run("install")
        #expect(second.status == 0)
        #expect(second.report?.result == .unchanged, "\(second.stdout)")
        #expect(second.report?.restarted == false)
        #expect(h.sandbox.pid == pidAfterInstall)
        #expect(h.configBytes == configAfterInstall)
        #expect(h.hostTree() == treeAfterInstall)

        let status = try h.run("status")
        #expect(status.report?.result == .installed, "\(status.stdout)")
        #expect(status.report?.drift == [])
    }

    @Test func uninstallRestoresTheOriginalBytesAndRemovesOurBinaries() async throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        let original = h.configBytes
        let treeBefore = h.hostTree()
        #expect(try h.run("install").report?.result == .installed)

        let result = try h.run("uninstall")
        #expect(result.status == 0)
        #expect(result.report?.result == .uninstalled, "\(result.stdout)")
        #expect(result.report?.restarted == true)
        #expect(h.configBytes == original)
        #expect(!FileManager.default.fileExists(atPath: h.sandbox.hostRoot + InstallerHarness.shimHostPath))
        #expect(!FileManager.default.fileExists(atPath: h.sandbox.configPath + ".kwasm-backup"))
        #expect(h.hostTree() == treeBefore)
        #expect(try await h.loadedRuntimes()[InstallerHarness.handler] == nil)

        let run = try await h.runPod(handler: "runc", ["echo", "runc-still-works"])
        #expect(run.exitCode == 0, "\(run)")
        #expect(run.stdout == "runc-still-works\n")

        let again = try h.run("uninstall")
        #expect(again.report?.result == .uninstalled)
        #expect(again.report?.restarted == false)
        #expect(try h.run("status").report?.result == .absent)
    }

    @Test func statusReportsAHandEditedConfigAsDrift() throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        #expect(try h.run("install").report?.result == .installed)
        let edited = String(decoding: h.configBytes, as: UTF8.self)
            .replacingOccurrences(of: InstallerHarness.runtimeType, with: "io.containerd.somethingelse.v2")
        try Data(edited.utf8).write(to: URL(fileURLWithPath: h.sandbox.configPath))
        let tree = h.hostTree()

        let status = try h.run("status")
        #expect(status.status == 0)
        #expect(status.report?.result == .drifted, "\(status.stdout)")
        #expect(status.report?.drift?.isEmpty == false)
        #expect(h.hostTree() == tree)

        // Binaries edited by hand are drift too.
        try Data("not a shim".utf8).write(to: URL(fileURLWithPath: h.sandbox.hostRoot + InstallerHarness.shimHostPath))
        let again = try h.run("status")
        #expect(again.report?.drift?.contains { $0.contains("binary") && $0.contains("modified") } == true, "\(again.stdout)")
    }

    @Test func statusWaitsForAnInstallInProgressInsteadOfCallingItDrift() throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        #expect(try h.run("install").report?.result == .installed)
        // Another installer run holds the host lock (half-way through its writes).
        let held = try HostLock.acquire(at: h.sandbox.hostRoot + "/run/lock/kwasm.lock", timeout: 5)
        let blocked = try h.run("status", environment: ["KWASM_LOCK_TIMEOUT": "1"])
        #expect(blocked.report?.result == .failed, "\(blocked.stdout)")
        #expect(blocked.report?.error?.code == "LockTimeout", "\(blocked.stdout)")
        held.release()
        #expect(try h.run("status").report?.result == .installed)
    }

    @Test func dryRunPrintsTheDiffAndTouchesNothing() throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        let tree = h.hostTree()
        let pid = h.sandbox.pid
        let result = try h.run("install", ["--dry-run"])
        #expect(result.status == 0)
        #expect(result.report?.dryRun == true)
        #expect(result.report?.restarted == false)
        #expect(result.stderr.contains(InstallerHarness.runtimeType), "diff: \(result.stderr)")
        #expect(result.stderr.contains("containerd-shim-kwtest-v2"))
        #expect(h.hostTree() == tree)
        #expect(h.sandbox.pid == pid)
    }
}

/// Two installers racing on one node (two Jobs, or a retry overlapping a slow run): the host lock serialises
/// them, so exactly one writes and restarts, the other finds the work done.
@Suite(.enabled(if: InstallerHarness.isAvailable, "needs root, Debian's containerd and the built installer"))
struct ConcurrentInstallTests {
    @Test func twoConcurrentInstallsRestartContainerdOnce() async throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        let starts = h.sandbox.startCount
        let harness = h
        async let first = Task.detached { try harness.run("install") }.value
        async let second = Task.detached { try harness.run("install") }.value
        let results = try await [first, second].map { $0.report?.result.rawValue ?? "" }
        #expect(results.sorted() == ["installed", "unchanged"], "\(results)")
        #expect(h.sandbox.startCount - starts == 1)
        #expect(try await h.loadedRuntimes()[InstallerHarness.handler] != nil)
    }
}
