import ContainerdSandbox
import Foundation
import NodeInstaller
import Testing

/// Bad input and hosts we must not touch: clear error, host byte-for-byte untouched, containerd not restarted.
@Suite(.enabled(if: InstallerHarness.isAvailable, "needs root, Debian's containerd and the built installer"))
struct RefusalTests {
    enum Case: String, CaseIterable, Sendable {
        case checksumMismatch, malformedConfig, unknownSchema, wrongMachineID, readOnlyTarget
    }

    @Test(arguments: Case.allCases)
    func refusesAndLeavesTheHostUntouched(_ refusal: Case) throws {
        let h = try InstallerHarness()
        var mounted: String?
        defer {
            if let mounted { _ = try? CommandRunner.run("/bin/umount", [mounted]) }
            h.destroy()
        }
        var extra: [String] = []
        let expected: (result: InstallerReport.Result, code: String, mentions: String)
        switch refusal {
        case .checksumMismatch:
            let handle = try #require(FileHandle(forWritingAtPath: h.assets + "/bin/containerd-shim-kwtest-v2"))
            handle.seekToEndOfFile()
            handle.write(Data("tampered".utf8))
            try handle.close()
            expected = (.failed, "ChecksumMismatch", "containerd-shim-kwtest-v2")
        case .malformedConfig:
            try Data("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"\nfoo = \n".utf8).write(to: URL(fileURLWithPath: h.sandbox.configPath))
            expected = (.failed, "ConfigParseError", "config.toml")
        case .unknownSchema:
            try Data("version = 4\n\n[plugins]\n".utf8).write(to: URL(fileURLWithPath: h.sandbox.configPath))
            expected = (.unsupported, "UnsupportedSchema", "schema 4")
        case .wrongMachineID:
            extra = ["--expected-machine-id", "0123456789abcdef0123456789abcdef"]
            expected = (.unsupported, "MachineIDMismatch", "0123456789abcdef0123456789abcdef")
        case .readOnlyTarget:
            let opt = h.sandbox.hostRoot + "/opt"
            let bind = try CommandRunner.shell("mount --bind '\(opt)' '\(opt)' && mount -o remount,bind,ro '\(opt)'")
            try #require(bind.succeeded, "cannot make /opt read-only: \(bind)")
            mounted = opt
            expected = (.unsupported, "ImmutableHost", "/opt/kwasm")
        }
        let tree = h.hostTree()
        let pid = h.sandbox.pid
        let starts = h.sandbox.startCount

        let run = try h.run("install", extra)
        let report = try #require(run.report, "no report: \(run.stdout) \(run.stderr)")
        #expect(run.status != 0)
        #expect(report.result == expected.result, "\(run.stdout)")
        #expect(report.error?.code == expected.code, "\(run.stdout)")
        #expect(report.error?.message.contains(expected.mentions) == true, "\(run.stdout)")
        #expect(report.restarted == false)
        #expect(h.hostTree() == tree, "host changed")
        #expect(h.sandbox.pid == pid)
        #expect(h.sandbox.startCount == starts)
    }
}
