import ContainerdSandbox
import Foundation
import NodeInstaller
import Testing

/// Issue #14 items that need a successful install, against a real containerd in a sandbox.
@Suite(.enabled(if: InstallerHarness.isAvailable, "needs root, Debian's containerd and the built installer"))
struct HardeningSandboxTests {
    /// Items 2, 4 and 7: another spelling of the install dir keeps the shim, the backup keeps the config's
    /// mode, and a setuid/world-writable catalog mode is installed as 0755.
    @Test func anotherSpellingOfTheInstallDirKeepsTheShimAndModesAreSafe() throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        chmod(h.sandbox.configPath, 0o600)
        let catalogPath = h.assets + "/runtimes.json"
        let catalog = try #require(FileManager.default.contents(atPath: catalogPath))
        try Data(String(decoding: catalog, as: UTF8.self).replacingOccurrences(of: "\"0755\"", with: "\"4777\"").utf8)
            .write(to: URL(fileURLWithPath: catalogPath))
        let shim = h.sandbox.hostRoot + InstallerHarness.shimHostPath

        let first = try h.run("install", ["--install-dir", "/opt/kwasm/"])
        #expect(first.report?.result == .installed, "\(first.stdout)")
        #expect(mode(shim) == 0o755)
        #expect(mode(h.sandbox.configPath + ".kwasm-backup") == 0o600)

        let second = try h.run("install", ["--install-dir", "/opt/kwasm"])
        #expect(second.status == 0, "\(second.stdout)")
        #expect(second.report?.result == .unchanged, "\(second.stdout)")
        #expect(FileManager.default.fileExists(atPath: shim), "the second install deleted the shim it installed")
        #expect(try h.run("status").report?.result == .installed)
    }

    /// Items 3 and 11: uninstall neither follows a symlink at the backup path nor deletes host files named
    /// by a forged state.json.
    @Test func uninstallTouchesNoFileNamedByASymlinkOrAForgedState() throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        #expect(try h.run("install").report?.result == .installed)
        let root = h.sandbox.hostRoot
        let important = root + "/etc/important"
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: important))
        let backup = h.sandbox.configPath + ".kwasm-backup"
        try FileManager.default.removeItem(atPath: backup)
        try FileManager.default.createSymbolicLink(atPath: backup, withDestinationPath: "/etc/important")
        let statePath = root + "/opt/kwasm/state.json"
        var state = try JSONSerialization.jsonObject(with: try #require(FileManager.default.contents(atPath: statePath))) as! [String: Any]
        var binaries = state["binaries"] as! [String: String]
        let sha = FileDigest.sha256(Data("keep me\n".utf8))
        binaries["/etc/important"] = sha
        binaries["/opt/kwasm/bin/../../../etc/important"] = sha
        state["binaries"] = binaries
        try JSONSerialization.data(withJSONObject: state).write(to: URL(fileURLWithPath: statePath))

        let result = try h.run("uninstall")
        #expect(result.report?.result == .uninstalled, "\(result.stdout)")
        #expect(FileManager.default.contents(atPath: important) == Data("keep me\n".utf8))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: backup)) == "/etc/important")
        #expect(!FileManager.default.fileExists(atPath: root + InstallerHarness.shimHostPath))
    }

    /// Smaller item: uninstall removes the parent directories install created (the lock file stays, by design).
    @Test func uninstallRemovesTheDirectoriesInstallCreated() throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        let before = h.hostTree()
        // Under /opt: the sandbox's containerd sees the host root's /opt at /opt (its mount namespace binds it), so
        // the shim link it follows resolves there as on a real node.
        #expect(!FileManager.default.fileExists(atPath: h.sandbox.hostRoot + "/opt/vendor"))
        let install = try h.run("install", ["--install-dir", "/opt/vendor/wasm/kwasm"])
        #expect(install.report?.result == .installed, "\(install.stdout)")
        let uninstall = try h.run("uninstall", ["--install-dir", "/opt/vendor/wasm/kwasm"])
        #expect(uninstall.report?.result == .uninstalled, "\(uninstall.stdout)")
        #expect(!FileManager.default.fileExists(atPath: h.sandbox.hostRoot + "/opt/vendor"))
        #expect(h.hostTree() == before)
    }

    func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }
}

/// The command line: whatever is wrong with it, the answer is the JSON report.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: InstallerHarness.installerBinary), "needs the built installer"))
struct CommandLineReportTests {
    @Test(arguments: [["install", "--no-such-flag"], ["status", "--host-root"], ["uninstall", "extra-argument"],
                      ["install", "--host-root", "/nonexistent", "--runtimes", ""], ["install", "--restart", "bogus"]])
    func badArgumentsStillEndInOneJSONReport(_ arguments: [String]) throws {
        let result = try CommandRunner.run(InstallerHarness.installerBinary, arguments)
        #expect(result.status == 1, "\(result)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stdout)")
        let report = try JSONDecoder().decode(InstallerReport.self, from: Data((lines.last ?? "").utf8))
        #expect(report.error?.code == "InvalidArgument")
        #expect(report.operation == arguments[0])
    }
}
