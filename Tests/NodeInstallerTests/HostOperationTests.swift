import Foundation
@testable import NodeInstaller
import Testing

@Suite struct HostOperationTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "kwasm-unit-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func hostPathsNeverEscapeTheHostRoot() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/etc/containerd", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/abs", withDestinationPath: "/etc/containerd")
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/up", withDestinationPath: "../../../../../../tmp")
        try FileManager.default.createSymbolicLink(atPath: root + "/etc/loop", withDestinationPath: "loop")
        let paths = HostPaths(root: root)
        #expect(try paths.resolve("/etc/containerd/config.toml") == root + "/etc/containerd/config.toml")
        #expect(try paths.resolve("/../../etc/passwd") == root + "/etc/passwd")
        #expect(try paths.resolve("/etc/abs/config.toml") == root + "/etc/containerd/config.toml")
        #expect(try paths.resolve("/etc/up/x") == root + "/tmp/x")
        #expect(throws: InstallerError.self) { try paths.resolve("/etc/loop/x") }
        #expect(try HostPaths(root: "/").resolve("/etc/../etc/hostname") == "/etc/hostname")
    }

    @Test func atomicWriteReplacesContentsKeepsModeAndLeavesNoTempFiles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/sub/config.toml"
        try AtomicFile.write(Data("one".utf8), to: file, mode: 0o640)
        try AtomicFile.write(Data("two".utf8), to: file)
        #expect(FileManager.default.contents(atPath: file) == Data("two".utf8))
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/sub") == ["config.toml"])
    }

    @Test func aSecondLockHolderTimesOutWithLockTimeout() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try HostLock.acquire(at: dir + "/run/lock/kwasm.lock", timeout: 1)
        #expect {
            _ = try HostLock.acquire(at: dir + "/run/lock/kwasm.lock", timeout: 0.3)
        } throws: { ($0 as? InstallerError)?.code == .lockTimeout }
        first.release()
        _ = try HostLock.acquire(at: dir + "/run/lock/kwasm.lock", timeout: 0.3)
    }

    @Test func distroIsDetectedFromWhatTheHostShows() throws {
        for (marker, distro) in [("var/lib/rancher/k3s/agent/etc/containerd", "k3s"), ("var/lib/rancher/rke2/agent/etc/containerd", "rke2"),
                                 ("var/snap/microk8s/current/args", "microk8s"), ("etc/k0s", "k0s"), ("etc/containerd", "default")] {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: root) }
            try FileManager.default.createDirectory(atPath: root + "/" + marker, withIntermediateDirectories: true)
            #expect(HostProbe(paths: HostPaths(root: root)).detectDistro().rawValue == distro)
        }
    }

    @Test func reportStaysUnderFourKilobytes() {
        var report = InstallerReport(operation: "install", result: .failed)
        report.error = .init(code: "VerificationFailed", message: String(repeating: "containerd log line\n", count: 2000))
        report.drift = (0..<300).map { "config: runtime r\($0) is missing" }
        let data = report.encoded()
        #expect(data.count < 4096)
        let decoded = try? JSONDecoder().decode(InstallerReport.self, from: data)
        #expect(decoded?.error?.code == "VerificationFailed")
        #expect(report.exitCode == 1)
        #expect(InstallerReport(operation: "status", result: .drifted).exitCode == 0)
        #expect(InstallerReport(operation: "install", result: .unsupported).exitCode != 0)
    }
}
