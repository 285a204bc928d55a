import ContainerdConfig
import Foundation
@testable import NodeInstaller
import Testing

/// containerd's shim lookup, modelled from its source (runtime/v2/manager.go in 1.6/1.7,
/// core/runtime/v2/shim_manager.go in 2.x), and the links that make a shim findable where runtime_path is ignored.
@Suite struct ShimLookupTests {
    static func process(_ version: String, path: [String] = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin"],
                        binaryDirectory: String = "/usr/bin") -> ContainerdProcess {
        ContainerdProcess(version: ContainerdVersion(parsing: version)!, path: path, binaryDirectory: binaryDirectory)
    }

    static func lookup(_ process: ContainerdProcess, files: [String: ShimLookup.FileKind]) -> ShimLookup {
        ShimLookup(process: process) { files[$0] ?? .missing }
    }

    @Test(arguments: [("1.5.18", false), ("1.6.0", false), ("1.6.20", false), ("1.6.21", true), ("1.6.39", true),
                      ("1.7.0", false), ("1.7.1", true), ("1.7.34", true), ("2.0.11", true), ("2.2.7", true)])
    func runtimePathIsHonouredFromTheReleasesThatSendIt(_ version: String, _ honoured: Bool) {
        #expect(Self.process(version).honoursRuntimePath == honoured)
    }

    @Test func containerd16IgnoresRuntimePathAndSearchesItsPathThenItsBinaryDirectory() {
        let shim = "/opt/kwasm/bin/containerd-shim-wasmtime-v1"
        let lookup = Self.lookup(Self.process("1.6.20"), files: [shim: .executable])
        #expect(lookup.resolve(runtimeType: "io.containerd.wasmtime.v1", runtimePath: shim) == .notFound(
            name: "containerd-shim-wasmtime-v1",
            searched: ["/containerd-shim-wasmtime-v1", "/usr/local/sbin/containerd-shim-wasmtime-v1", "/usr/local/bin/containerd-shim-wasmtime-v1",
                       "/usr/sbin/containerd-shim-wasmtime-v1", "/usr/bin/containerd-shim-wasmtime-v1", "/usr/bin/containerd-shim-wasmtime-v1"]))

        let linked = Self.lookup(Self.process("1.6.20"), files: ["/usr/local/bin/containerd-shim-wasmtime-v1": .executable])
        #expect(linked.resolve(runtimeType: "io.containerd.wasmtime.v1", runtimePath: shim)
            == .found(path: "/usr/local/bin/containerd-shim-wasmtime-v1", how: "containerd's PATH"))

        let beside = Self.lookup(Self.process("1.6.20", path: [], binaryDirectory: "/var/lib/rancher/k3s/data/x/bin"),
                                 files: ["/var/lib/rancher/k3s/data/x/bin/containerd-shim-wasmtime-v1": .executable])
        #expect(beside.resolve(runtimeType: "io.containerd.wasmtime.v1", runtimePath: nil)
            == .found(path: "/var/lib/rancher/k3s/data/x/bin/containerd-shim-wasmtime-v1", how: "next to the containerd binary"))
    }

    @Test func aNonExecutableFileOnPathIsSkippedLikeExecLookPathDoes() {
        let lookup = Self.lookup(Self.process("1.6.20"), files: ["/usr/local/sbin/containerd-shim-spin-v2": .other,
                                                                  "/usr/local/bin/containerd-shim-spin-v2": .executable])
        #expect(lookup.resolve(runtimeType: "io.containerd.spin.v2", runtimePath: nil)
            == .found(path: "/usr/local/bin/containerd-shim-spin-v2", how: "containerd's PATH"))
    }

    @Test func newerContainerdUsesRuntimePathAndFailsWhenItIsMissing() {
        let shim = "/opt/kwasm/bin/containerd-shim-wasmtime-v1"
        #expect(Self.lookup(Self.process("2.0.11"), files: [shim: .executable]).resolve(runtimeType: "io.containerd.wasmtime.v1", runtimePath: shim)
            == .found(path: shim, how: "runtime_path"))
        #expect(Self.lookup(Self.process("1.7.1"), files: [:]).resolve(runtimeType: "io.containerd.wasmtime.v1", runtimePath: shim)
            == .notFound(name: shim, searched: [shim]))
    }

    static func planner(_ process: ContainerdProcess, files: [String: ShimLookup.FileKind] = [:], links: [String: String] = [:],
                        writable: Set<String>) -> ShimLinkPlanner {
        ShimLinkPlanner(lookup: lookup(process, files: files), linkTarget: { links[$0] }, writableDirectory: { writable.contains($0) })
    }

    static let wasmtime = ShimLinkPlanner.Shim(runtimeType: "io.containerd.wasmtime.v1", installedPath: "/opt/kwasm/bin/containerd-shim-wasmtime-v1")

    @Test func onContainerd16TheLinkGoesIntoTheFirstWritableNonSystemDirectoryContainerdSearches() throws {
        let planner = Self.planner(Self.process("1.6.20"), writable: ["/usr/local/bin", "/usr/bin"])
        #expect(try planner.plan([Self.wasmtime]) == [ShimLink(link: "/usr/local/bin/containerd-shim-wasmtime-v1", target: Self.wasmtime.installedPath)])
        // k3s: its own bin dir (containerd's binary dir) when nothing on PATH is writable.
        let k3s = Self.planner(Self.process("1.6.20", path: ["/usr/sbin", "/usr/bin"], binaryDirectory: "/var/lib/rancher/k3s/data/abc/bin"),
                               writable: ["/var/lib/rancher/k3s/data/abc/bin", "/usr/bin"])
        #expect(try k3s.plan([Self.wasmtime]).map(\.link) == ["/var/lib/rancher/k3s/data/abc/bin/containerd-shim-wasmtime-v1"])
        // …but a persistent directory on its PATH is preferred: k3s replaces data/<hash>/bin on upgrade.
        let k3sWithLocal = Self.planner(Self.process("1.6.20", path: ["/var/lib/rancher/k3s/data/current/bin", "/usr/local/bin"],
                                                     binaryDirectory: "/var/lib/rancher/k3s/data/abc/bin"),
                                        writable: ["/var/lib/rancher/k3s/data/current/bin", "/usr/local/bin"])
        #expect(try k3sWithLocal.plan([Self.wasmtime]).map(\.link) == ["/usr/local/bin/containerd-shim-wasmtime-v1"])
        // Not needed where runtime_path works.
        #expect(try Self.planner(Self.process("1.7.1"), writable: ["/usr/local/bin"]).plan([Self.wasmtime]).isEmpty)
    }

    @Test func aReadOnlyOrPackageManagedPathRefusesWithImmutableHost() throws {
        let planner = Self.planner(Self.process("1.6.20", path: ["/usr/sbin", "/usr/bin", "/snap/microk8s/1/bin"]), writable: ["/usr/bin", "/usr/sbin"])
        #expect { try planner.plan([Self.wasmtime]) } throws: { ($0 as? InstallerError)?.code == .immutableHost }
    }

    @Test func anotherBinaryWithTheShimsNameEarlierOnPathIsAConflictButOurOwnLinkIsKept() throws {
        let theirs = Self.planner(Self.process("1.6.20"), files: ["/usr/local/sbin/containerd-shim-wasmtime-v1": .executable], writable: ["/usr/local/bin"])
        #expect { try theirs.plan([Self.wasmtime]) } throws: { ($0 as? InstallerError)?.code == .runtimeConflict }
        let ours = Self.planner(Self.process("1.6.20"), files: ["/usr/local/bin/containerd-shim-wasmtime-v1": .executable],
                                links: ["/usr/local/bin/containerd-shim-wasmtime-v1": Self.wasmtime.installedPath], writable: ["/usr/local/bin"])
        #expect(try ours.plan([Self.wasmtime]) == [ShimLink(link: "/usr/local/bin/containerd-shim-wasmtime-v1", target: Self.wasmtime.installedPath)])
    }

    @Test func theSandboxImageComesFromCRIThenTheConfigThenTheVersionsDefault() {
        #expect(HandlerUsability.sandboxImage(reported: "a/pause:1", configFiles: [], version: nil) == "a/pause:1")
        let v3 = Array("version = 3\n[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'b/pause:2'\n".utf8)
        #expect(HandlerUsability.sandboxImage(reported: nil, configFiles: [v3], version: nil) == "b/pause:2")
        #expect(HandlerUsability.sandboxImage(reported: nil, configFiles: [], version: ContainerdVersion(major: 2, minor: 0, patch: 11))
            == "registry.k8s.io/pause:3.10")
    }

    @Test func processInspectionReadsPathAndBinaryDirectoryFromProc() throws {
        let me = try #require(ContainerdProcess.inspect(pid: getpid(), version: ContainerdVersion(major: 1, minor: 6)))
        #expect(me.path == (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":", omittingEmptySubsequences: false).map(String.init))
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        #expect(me.binaryDirectory == (exe as NSString).deletingLastPathComponent)
    }
}
