import ContainerdSandbox
import Foundation
import NodeInstaller
import Testing

/// The installer's promise, checked the way the kubelet uses a runtime: after `kwasm-node-installer install`,
/// a pod runs through each handler over CRI (RunPodSandbox with the handler + CreateContainer + StartContainer),
/// on Debian's containerd 1.6.20 and on 2.0.11 / 2.2.7 (schema 3; 2.2 with conf.d drop-ins), for a shim runtime
/// and an OCI-binary runtime; uninstall then restores the host byte for byte.
@Suite(.enabled(if: InstallerHarness.isAvailable, "needs root, Debian's containerd and the built installer"))
struct CRIRuntimeMatrixTests {
    static var containerds: [SandboxContainerd] { SandboxContainerd.all(assets: TestAssets.fromEnvironment) }

    /// The OCI-binary runtime: crun with WAMR running a wasm module from the assets, else Debian's crun.
    struct OCIRuntime {
        var binary: String
        var image: String?
        var args: [String]
        var expected: String

        static var current: OCIRuntime {
            if let assets = TestAssets.quietlyFromEnvironment {
                return OCIRuntime(binary: assets.wasmCrun, image: assets.wasmImage("wasm-hello"), args: [], expected: "hello from wasm\n")
            }
            return OCIRuntime(binary: "/usr/bin/crun", image: nil, args: ["echo", "hello from crun"], expected: "hello from crun\n")
        }
    }

    @Test(arguments: containerds)
    func podsRunThroughTheInstalledShimAndOCIBinaryHandlersAndUninstallIsByteExact(_ containerd: SandboxContainerd) async throws {
        let h = try InstallerHarness(containerd: containerd)
        defer { h.destroy() }
        let oci = OCIRuntime.current
        try h.addOCIBinaryRuntime(name: "crun-wasm", handler: "crun-wasm", binary: oci.binary, podAnnotations: ["module.wasm.image/*"])
        let treeBefore = h.hostTree()
        let configBefore = h.configBytes

        let install = try h.run("install")
        #expect(install.status == 0, "\(install.stdout) \(install.stderr)")
        #expect(install.report?.verification?.hasPrefix("pod-sandbox") == true, "\(install.stdout)")
        #expect(install.report?.configSchema == (containerd.usesSchema3 ? 3 : 2))

        let shim = try await h.runPod(handler: InstallerHarness.handler, ["sh", "-c", "echo hello from the shim; exit 3"])
        #expect(shim.exitCode == 3, "\(shim)")
        #expect(shim.stdout == "hello from the shim\n")

        var image: String?
        if let archive = oci.image {
            try h.sandbox.importImage(archive, namespace: ContainerdSandbox.criNamespace)
            image = "docker.io/library/wasm-hello:v1"
        }
        let wasm = try await h.runPod(handler: "crun-wasm", oci.args, image: image, annotations: ["module.wasm.image/variant": "compat"])
        #expect(wasm.exitCode == 0, "\(wasm)")
        #expect(wasm.stdout == oci.expected)

        let uninstall = try h.run("uninstall")
        #expect(uninstall.report?.result == .uninstalled, "\(uninstall.stdout)")
        #expect(h.configBytes == configBefore)
        #expect(h.hostTree() == treeBefore)
        await #expect(throws: GRPCCallError.self) { _ = try await h.runPod(handler: InstallerHarness.handler, ["true"]) }
    }

    /// Issue #13's bug: containerd 1.6.20 ignores runtime_path, so a shim it cannot find by name gives a handler
    /// CRI lists but no pod can use. Here containerd is down while the installer plans (it cannot see where
    /// containerd will look), so no link is made: verification must fail and roll the host back byte for byte.
    @Test func onContainerd16AShimContainerdCannotFindFailsVerificationAndRollsBack() async throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        let tree = h.hostTree()
        let config = h.configBytes
        try h.sandbox.stop()

        let result = try h.run("install")
        #expect(result.status != 0)
        #expect(result.report?.error?.code == "VerificationFailed", "\(result.stdout)")
        #expect(result.report?.error?.message.contains("containerd-shim-kwtest-v2") == true, "\(result.stdout)")
        #expect(result.report?.rolledBack == true)
        #expect(h.configBytes == config)
        #expect(h.hostTree() == tree)

        // With containerd running, the retry finds where it looks and the pod starts.
        let retry = try h.run("install")
        #expect(retry.report?.result == .installed, "\(retry.stdout)")
        #expect(try await h.runPod(handler: InstallerHarness.handler, ["echo", "ok"]).stdout == "ok\n")
    }

    /// An air-gapped node that never pulled the pause image: no probe pod is possible, and the report says so.
    @Test func withoutTheSandboxImageVerificationResolvesTheShimAndSaysItStartedNoPod() throws {
        let h = try InstallerHarness(pauseImage: false)
        defer { h.destroy() }
        let result = try h.run("install")
        #expect(result.report?.result == .installed, "\(result.stdout)")
        #expect(result.report?.verification?.hasPrefix("resolution-only") == true, "\(result.stdout)")
    }

    /// No directory containerd 1.6 searches is writable (read-only `/usr/local`, like an immutable host): refuse
    /// before touching anything, instead of installing a handler no pod could use.
    @Test func onContainerd16WithNoWritableSearchDirectoryTheInstallIsRefusedUntouched() throws {
        let h = try InstallerHarness()
        defer { h.destroy() }
        for directory in ["/usr/local/bin", "/usr/local/sbin"] {
            let path = h.sandbox.hostRoot + directory
            #expect(try CommandRunner.run("/bin/mount", ["--bind", "-o", "ro", path, path]).succeeded)
            _ = try CommandRunner.run("/bin/mount", ["-o", "remount,ro,bind", path])
        }
        defer { for d in ["/usr/local/bin", "/usr/local/sbin"] { _ = try? CommandRunner.run("/bin/umount", [h.sandbox.hostRoot + d]) } }
        let tree = h.hostTree()
        let result = try h.run("install")
        #expect(result.report?.error?.code == "ImmutableHost", "\(result.stdout)")
        #expect(result.report?.restarted == false)
        #expect(h.hostTree() == tree)
    }
}
