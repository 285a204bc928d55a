import ContainerdSandbox
import Foundation
import NodeInstaller
import Testing

/// The systemd-based restart strategies (systemd, k3s, rke2, microk8s) against a stand-in `systemctl`
/// first on PATH: the installer enters the host's namespaces with `nsenter` and runs `systemctl`
/// there, exactly as in the Job; the stand-in records what it was asked and restarts the sandbox's
/// containerd. Users hit two failures here with other installers: restarting the wrong unit on k3s
/// agents (`k3s` vs `k3s-agent`), and a restart that "succeeds" without containerd reloading anything.
@Suite(.enabled(if: HostNamespaces.areReachable, "needs root, Debian's containerd, the built installer and nsenter into PID 1"))
struct RestartStrategyTests {
    /// A `systemctl` that reports `activeUnits` as running and, on `restart`, restarts the sandbox
    /// (or, with `restartDoesNothing`, exits 0 and does nothing). Returns the PATH dir and the call log.
    static func standInSystemctl(_ h: InstallerHarness, activeUnits: [String], restartDoesNothing: Bool = false) throws -> (path: String, log: String) {
        let directory = h.sandbox.baseDirectory + "/fake-bin"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let log = h.sandbox.baseDirectory + "/systemctl.log"
        let active = activeUnits.map { "'\($0)'" }.joined(separator: " | ")
        let script = """
            #!/bin/sh
            echo "$*" >> '\(log)'
            case "$1" in
              is-active) case "$3" in \(active.isEmpty ? "''" : active)) exit 0 ;; esac; exit 3 ;;
              restart) \(restartDoesNothing ? "exit 0" : "exec sh '\(h.sandbox.restartScriptPath)'") ;;
              *) exit 1 ;;
            esac
            """
        let path = directory + "/systemctl"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (directory, log)
    }

    static func calls(_ log: String) -> [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var strategy: String
        var activeUnits: [String]
        var restartedUnit: String
        var testDescription: String { "\(strategy) with \(activeUnits.isEmpty ? "no unit" : activeUnits.joined(separator: ",")) active" }
    }

    static let cases: [Case] = [
        Case(strategy: "systemd", activeUnits: ["containerd"], restartedUnit: "containerd"),
        Case(strategy: "k3s", activeUnits: ["k3s"], restartedUnit: "k3s"),
        Case(strategy: "k3s", activeUnits: ["k3s-agent"], restartedUnit: "k3s-agent"),
        Case(strategy: "rke2", activeUnits: ["rke2-agent"], restartedUnit: "rke2-agent"),
        Case(strategy: "microk8s", activeUnits: [], restartedUnit: "snap.microk8s.daemon-containerd"),
    ]

    @Test("the installer restarts the unit that owns containerd on this host", arguments: cases)
    func restartsTheRightUnit(_ c: Case) async throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        let systemctl = try Self.standInSystemctl(h, activeUnits: c.activeUnits)
        let starts = h.sandbox.startCount
        let run = try h.run("install", environment: HostNamespaces.environment(standInDirectory: systemctl.path),
                            restart: ["--restart", c.strategy])
        let report = try #require(run.report, "no report: \(run.stdout) \(run.stderr)")
        #expect(report.result == .installed, "\(run.stdout)")
        #expect(report.restarted)
        let restarts = Self.calls(systemctl.log).filter { $0.hasPrefix("restart ") }
        #expect(restarts == ["restart \(c.restartedUnit)"], "systemctl calls: \(Self.calls(systemctl.log))")
        #expect(h.sandbox.startCount == starts + 1)
        #expect(try await h.loadedRuntimes()[InstallerHarness.handler]?.runtimeType == InstallerHarness.runtimeType)
    }

    @Test func aRestartThatSucceedsWithoutReloadingIsCaughtAndRolledBack() async throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        let tree = h.hostTree()
        let original = h.configBytes
        let pid = h.sandbox.pid
        // `systemctl restart k3s` exits 0, but containerd keeps running with the old config.
        let systemctl = try Self.standInSystemctl(h, activeUnits: ["k3s"], restartDoesNothing: true)
        let run = try h.run("install", environment: HostNamespaces.environment(standInDirectory: systemctl.path),
                            restart: ["--restart", "k3s"], verifyTimeout: 5)
        let report = try #require(run.report, "no report: \(run.stdout) \(run.stderr)")
        #expect(run.status == 1)
        #expect(report.result == .failed, "\(run.stdout)")
        #expect(report.rolledBack)
        #expect(report.error?.code == "VerificationFailed", "\(report.error?.message ?? "")")
        #expect(report.error?.message.contains(InstallerHarness.handler) == true, "the error names the runtime that is missing: \(report.error?.message ?? "")")
        #expect(h.configBytes == original)
        #expect(h.hostTree() == tree)
        #expect(h.sandbox.pid == pid, "containerd was never really restarted")
        #expect(try await h.loadedRuntimes()["runc"] != nil)
    }
}

/// Whether `nsenter` works here. The installer enters PID 1's namespaces; a sandboxed test process
/// may not open those, so the tests point `KWASM_HOST_PID` at themselves: same `nsenter` call, same PATH
/// lookup of `systemctl`, in namespaces they can enter.
enum HostNamespaces {
    static var areReachable: Bool {
        guard InstallerHarness.isAvailable else { return false }
        let entered = (try? CommandRunner.run("/usr/bin/nsenter", ["-t", "\(getpid())", "-m", "-u", "-i", "-n", "-p", "--", "true"]))?.status == 0
        if !entered {
            FileHandle.standardError.write(Data("\n*** SKIPPED: nsenter into this process's own namespaces fails (not root?) ***\n".utf8))
        }
        return entered
    }

    /// The installer's environment: the stand-in first on PATH, namespaces of this test process.
    static func environment(standInDirectory: String) -> [String: String] {
        ["PATH": standInDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
         "KWASM_HOST_PID": "\(getpid())"]
    }
}
