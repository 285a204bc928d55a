import ContainerdConfig
import Foundation
@testable import NodeInstaller
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Regression tests for issue #14, run in-process against temporary host roots (no containerd needed):
/// each names the item of the issue it covers.
@Suite struct HardeningTests {
    // MARK: 1. the report always ends, within its budget

    @Test func reportEncodingEndsWithinItsBudgetForAnySize() throws {
        var random = SeededRandom(seed: 14)
        for _ in 0..<150 {
            var report = InstallerReport(operation: "install", result: .failed)
            let runtimes = random.int(0..<60)
            report.runtimes = (0..<runtimes).map { i in
                .init(name: "runtime-\(i)", handler: "h\(i)", runtimeType: "io.containerd.r\(i).v2",
                      path: "/opt/kwasm/bin/" + String(repeating: "p", count: random.int(0..<300)),
                      sha256: String(repeating: "a", count: 64), version: "1.0.\(i)")
            }
            report.error = .init(code: "VerificationFailed", message: random.text(length: random.int(0..<20_000)))
            report.configPath = "/" + String(repeating: "c", count: random.int(0..<9000))
            report.machineID = random.bool() ? String(repeating: "m", count: random.int(0..<9000)) : nil
            report.drift = random.bool() ? (0..<random.int(0..<500)).map { "drift \($0) " + random.text(length: random.int(0..<300)) } : nil
            let limit = [512, 1000, 4000][random.int(0..<3)]
            let data = report.encoded(limit: limit)
            #expect(data.count <= limit, "\(data.count) > \(limit)")
            let decoded = try JSONDecoder().decode(InstallerReport.self, from: data)
            #expect(decoded.result == .failed)
            #expect(decoded.error?.code == "VerificationFailed")
        }
    }

    // MARK: 5. FIFOs and devices where a binary should be: no hang, and the host is put back

    @Test func aFIFOOrDeviceAtTheBinaryPathNeverHangs() async throws {
        for variant in ["fifo", "device", "symlink-to-device"] {
            let host = try TempHost()
            defer { host.destroy() }
            try host.simpleCatalog()
            let binary = "/opt/kwasm/bin/containerd-shim-demo-v1"
            switch variant {
            case "fifo": try host.fifo(binary)
            case "device": guard host.device(binary) else { continue }
            default:
                guard host.device("/dev/zero") else { continue }
                try host.symlink(binary, to: "/dev/zero")
            }
            let before = host.hostTree
            for operation in [NodeInstaller.Operation.install, .status, .uninstall] {
                let report = await host.run(operation)
                #expect(report.error?.code != nil || operation == .status, "\(variant) \(operation): \(report)")
                #expect(host.changes(since: before).isEmpty, "\(variant) \(operation): \(host.changes(since: before))")
            }
            let status = await host.run(.status)
            #expect(status.result == .drifted || status.result == .absent || status.result == .failed, "\(status)")
        }
    }

    // MARK: 3. a symlink at the backup path is never followed

    @Test func aSymlinkAtTheBackupPathIsNeverWrittenThrough() async throws {
        for target in ["/etc/hostname", "OUTSIDE", "/does/not/exist"] {
            let host = try TempHost()
            defer { host.destroy() }
            try host.simpleCatalog()
            try host.write("/etc/hostname", "node-1\n")
            try host.symlink("/etc/containerd/config.toml.kwasm-backup", to: target == "OUTSIDE" ? host.outside + "/secret" : target)
            let before = host.hostTree, outside = host.outsideTree
            let report = await host.run(.install)
            #expect(report.result == .failed)
            #expect(report.error?.message.contains("kwasm-backup") == true, "\(report)")
            #expect(host.changes(since: before).isEmpty, "\(host.changes(since: before))")
            #expect(host.outsideTree == outside)
        }
    }

    // MARK: 4. backups keep the original's mode and owner

    @Test func aBackupGetsTheOriginalsModeAndOwner() throws {
        let host = try TempHost()
        defer { host.destroy() }
        let config = host.root + "/etc/containerd/config.toml"
        chmod(config, 0o600)
        chown(config, 1234, 5678)
        let backup = ConfigBackup(path: config + ".kwasm-backup")
        #expect(try backup.create(original: Array("x".utf8), configPath: config))
        let info = try #require(HostFile.status(backup.path))
        #expect(info.st_mode & 0o7777 == 0o600)
        #expect(info.st_uid == 1234 && info.st_gid == 5678)
        #expect(try backup.create(original: Array("y".utf8), configPath: config) == false, "an existing backup is kept")
    }

    // MARK: 6. the install dir is validated and normalized

    @Test(arguments: ["", "/", "relative/dir", "/usr", "/usr/bin", "/bin", "/etc/kwasm", "/opt", "/opt/../usr", "/proc/1"])
    func aDangerousInstallDirIsRefusedBeforeAnythingIsTouched(_ dir: String) async throws {
        let host = try TempHost()
        defer { host.destroy() }
        try host.simpleCatalog()
        let before = host.hostTree
        for operation in [NodeInstaller.Operation.install, .uninstall, .status] {
            let report = await host.run(operation) { $0.installDir = dir }
            #expect(report.error?.code == "InvalidArgument", "\(dir) \(operation): \(report)")
            #expect(report.error?.message.contains("--install-dir") == true)
        }
        #expect(host.changes(since: before).isEmpty)
    }

    @Test func anInstallDirHasOneSpelling() throws {
        #expect(try InstallDirectory.normalized("/opt/kwasm/") == "/opt/kwasm")
        #expect(try InstallDirectory.normalized("//opt//kwasm") == "/opt/kwasm")
        #expect(try InstallDirectory.normalized("/usr/local/kwasm") == "/usr/local/kwasm")
    }

    // MARK: 7. modes are clamped

    @Test func catalogModesAreClampedToNoMoreThan0755() {
        func mode(_ text: String) -> mode_t { RuntimeCatalog.File(path: "bin/x", sha256: "", mode: text).installMode }
        #expect(mode("4755") == 0o755)
        #expect(mode("7777") == 0o755)
        #expect(mode("0777") == 0o755)
        #expect(mode("0644") == 0o644)
        #expect(mode("0000") == 0o400)
    }

    // MARK: 2. stale-file cleanup compares files, not strings

    @Test func staleCleanupNeverDeletesAFileStillWantedUnderAnotherSpelling() throws {
        let host = try TempHost()
        defer { host.destroy() }
        try host.write("/opt/kwasm/bin/containerd-shim-demo-v1", "shim")
        try host.write("/opt/kwasm/bin/old-shim", "old")
        let paths = HostPaths(root: host.root)
        let sha = FileDigest.sha256(Data("shim".utf8))
        let stale = StaleBinaries(paths: paths).plan(
            recorded: ["/opt/kwasm//bin/containerd-shim-demo-v1": sha, "/opt/kwasm/bin/old-shim": FileDigest.sha256(Data("old".utf8))],
            wanted: ["/opt/kwasm/bin/containerd-shim-demo-v1"])
        #expect(stale.remove == [host.root + "/opt/kwasm/bin/old-shim"])
        let state = InstallState.decodeForTest(binaries: ["/opt/kwasm//bin/x": sha]).normalizedPaths()
        #expect(state.binaries.keys.sorted() == ["/opt/kwasm/bin/x"])
    }

    // MARK: 10. no path resolves into the installer's own file system

    @Test func hostPathsNeverFallBackToTheContainersFileSystem() async throws {
        let host = try TempHost()
        defer { host.destroy() }
        try FileManager.default.removeItem(atPath: host.root + "/etc/machine-id")
        try host.symlink("/etc/machine-id", to: "/etc/machine-id")  // a loop inside the host root
        let paths = HostPaths(root: host.root)
        #expect(HostProbe(paths: paths).machineID() == nil)
        #expect(paths.path("/etc/machine-id").hasPrefix(host.root + "/"))
        // A directory we would write to that is a symlink loop: refused, nothing created anywhere.
        try host.symlink("/opt", to: "/opt")
        try host.simpleCatalog()
        let before = host.hostTree, outside = host.outsideTree
        for dryRun in [false, true] {
            let report = await host.run(.install) { $0.dryRun = dryRun }
            #expect(report.result == .failed, "\(report)")
            #expect(report.machineID == nil)
        }
        #expect(host.changes(since: before).isEmpty)
        #expect(host.outsideTree == outside)
    }

    // MARK: 11. state.json is not trusted for deletion

    @Test func stateEntriesOutsideTheInstallDirAreIgnored() {
        let sha = String(repeating: "a", count: 64)
        var state = InstallState()
        state.binaries = ["/etc/passwd": sha, "/opt/kwasm/bin/../../../etc/shadow": sha, "/opt/kwasm/bin/shim": sha,
                          "/opt/kwasm/bin/.hidden": sha, "/opt/kwasm/bin/bad": "zz"]
        state.backups = ["/etc/containerd/config.toml.kwasm-backup", "/etc/passwd"]
        let trusted = state.trusted(installDir: "/opt/kwasm", configPaths: ["/etc/containerd/config.toml"])
        #expect(trusted.binaries.keys.sorted() == ["/opt/kwasm/bin/shim"])
        #expect(trusted.backups == ["/etc/containerd/config.toml.kwasm-backup"])
    }

    // MARK: 9. duplicate basenames

    @Test func aCatalogWithTwoFilesOfOneNameIsInvalid() throws {
        let host = try TempHost()
        defer { host.destroy() }
        // Two different files (other dirs of the assets, other checksums) that would land on one name in bin/.
        let file = #"{"path": "DIR/containerd-shim-one-v1", "sha256": "SHA", "mode": "0755"}"#
        func entry(_ name: String, _ dir: String, _ sha: Character) -> String {
            #"{"name": "\#(name)", "kind": "shim", "runtimeType": "io.containerd.\#(name).v1", "files": ["#
                + file.replacingOccurrences(of: "DIR", with: dir).replacingOccurrences(of: "SHA", with: String(repeating: sha, count: 64)) + "]}"
        }
        try Data(#"{"runtimes": ["# .utf8 + Data((entry("one", "a", "a") + ", " + entry("two", "b", "b") + "]}").utf8))
            .write(to: URL(fileURLWithPath: host.assets + "/runtimes.json"))
        #expect { try RuntimeCatalog.load(assets: host.assets) } throws: {
            ($0 as? InstallerError)?.code == .catalogInvalid && "\($0)".contains("installs a different file")
        }
        // One file shared by two runtimes overwrites nothing.
        try host.catalog([(name: "one", files: [("crun", "a", "0755")], options: [:]),
                          (name: "two", files: [("crun", "a", "0755")], options: [:])])
        _ = try RuntimeCatalog.load(assets: host.assets)
    }

    @Test func catalogAddNeverOverwritesAnotherRuntimesAsset() throws {
        let host = try TempHost()
        defer { host.destroy() }
        let download = host.base + "/download"
        try FileManager.default.createDirectory(atPath: download + "/a", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: download + "/b", withIntermediateDirectories: true)
        try Data("first".utf8).write(to: URL(fileURLWithPath: download + "/a/containerd-shim-x-v1"))
        try Data("second".utf8).write(to: URL(fileURLWithPath: download + "/b/containerd-shim-x-v1"))
        try CatalogEditor.add(.init(assets: host.assets, name: "one", handler: "one", kind: "shim", version: "1",
                                    files: [download + "/a/containerd-shim-x-v1"]))
        #expect(throws: InstallerError.self) {
            try CatalogEditor.add(.init(assets: host.assets, name: "two", handler: "two", kind: "shim", version: "1",
                                        files: [download + "/b/containerd-shim-x-v1"]))
        }
        #expect(FileManager.default.contents(atPath: host.assets + "/bin/containerd-shim-x-v1") == Data("first".utf8))
        _ = try RuntimeCatalog.load(assets: host.assets)
    }

    // MARK: 12. option keys

    @Test(arguments: ["a\"b", "a.b", "", "1abc", "with space", "ü"])
    func anOptionKeyThatIsNotAnOptionNameIsRefused(_ key: String) async throws {
        let host = try TempHost()
        defer { host.destroy() }
        try host.catalog([(name: "demo", files: [("containerd-shim-demo-v1", "x", "0755")], options: [key: .string("v")])])
        let before = host.hostTree
        let report = await host.run(.install)
        #expect(report.error?.code == "CatalogInvalid", "\(report)")
        #expect(host.changes(since: before).isEmpty)
        #expect(throws: ConfigError.self) {
            _ = try ConfigEngine.planInstall(HostConfigSnapshot(layout: .standard(.default), files: [:]),
                                             definitions: [.shim(name: "demo", runtimeType: "io.containerd.demo.v1", options: [key: .string("v")])])
        }
    }

    // MARK: smaller items

    @Test func restartCommandWithoutACommandIsRefusedBeforeWriting() async throws {
        let host = try TempHost()
        defer { host.destroy() }
        try host.simpleCatalog()
        let before = host.hostTree
        let report = await host.run(.install) { $0.restart = .command; $0.restartCommand = nil }
        #expect(report.error?.code == "InvalidArgument", "\(report)")
        #expect(host.changes(since: before).isEmpty)
    }

    @Test func aDryRunCreatesNoProbeFile() async throws {
        let host = try TempHost()
        defer { host.destroy() }
        try host.simpleCatalog()
        try FileManager.default.createDirectory(atPath: host.root + "/opt/kwasm", withIntermediateDirectories: true)
        let before = host.hostTree
        let report = await host.run(.install) { $0.dryRun = true }
        #expect(report.dryRun)
        #expect(host.changes(since: before).isEmpty, "\(host.changes(since: before))")
    }

    @Test func aRuncHandlerIsARuntimeConflict() throws {
        for config in ["version = 2\n", TempHost.config] {
            let snapshot = HostConfigSnapshot(layout: .standard(.default), files: ["/etc/containerd/config.toml": Array(config.utf8)])
            #expect { _ = try ConfigEngine.planInstall(snapshot, definitions: [.shim(name: "runc", runtimeType: "io.containerd.runc.v2")]) }
                throws: { ($0 as? ConfigError)?.reportCode == "RuntimeConflict" }
        }
    }

    @Test func statusAfterACrashThatLeftBinariesIsNotAbsent() async throws {
        let host = try TempHost()
        defer { host.destroy() }
        try host.simpleCatalog()
        try host.write("/opt/kwasm/bin/containerd-shim-demo-v1", "#!/bin/sh\necho demo\n", mode: 0o755)
        var state = InstallState()
        state.pendingRestart = true
        state.binaries = ["/opt/kwasm/bin/containerd-shim-demo-v1": FileDigest.sha256(Data("#!/bin/sh\necho demo\n".utf8))]
        try state.save(to: host.root + "/opt/kwasm/state.json")
        let report = await host.run(.status)
        #expect(report.result == .drifted, "\(report)")
        #expect(report.drift?.contains { $0.contains("interrupted") } == true)
    }
}

extension InstallState {
    static func decodeForTest(binaries: [String: String]) -> InstallState {
        var state = InstallState()
        state.binaries = binaries
        return state
    }
}

/// SplitMix64: small, seedable, the same sequence on every machine.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func bool() -> Bool { Bool.random(using: &self) }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0..<items.count)] }
    mutating func text(length: Int) -> String {
        let alphabet = Array("abc xyz\"\\\n\té€😀/")
        return String((0..<length).map { _ in alphabet[int(0..<alphabet.count)] })
    }
}
