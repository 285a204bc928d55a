import ContainerdSandbox
import Foundation
import Testing

/// The `kwasm` runtime as the kubelet uses it: a real containerd (1.6, 2.0, 2.2) with the runtime
/// handler `kwasm` (runc.v2 + BinaryName kwasm-oci), pods run through CRI by crictl.
@Suite(.serialized) struct KwasmCRITests {
    @Test(arguments: KwasmNode.Release.allCases)
    func wasmPodsRunThroughTheKwasmHandler(release: KwasmNode.Release) throws {
        guard let assets = Self.assets() else { return }
        let node = try KwasmNode(release: release, assets: assets)
        let cri = node.cri

        let hello = try cri.run(handler: "kwasm", image: try node.importWasmImage("hello"))
        #expect(hello.exitCode == 0, "\(release): \(hello)")
        #expect(hello.stdout == "hello from a WASI module\n", "\(release): \(hello)")

        let exit3 = try cri.run(handler: "kwasm", image: try node.importWasmImage("exit3"),
                                podAnnotations: ["module.wasm.image/variant": "compat"])
        #expect(exit3.exitCode == 3, "\(release): proc_exit(3) is the container's exit code: \(exit3)")
        #expect(exit3.stderr == "exiting with 3\n", "\(release): \(exit3)")

        let args = try cri.run(handler: "kwasm", image: try node.importWasmImage("args"), args: ["one", "two words"])
        let lines = args.stdout.split(separator: "\n").map(String.init)
        #expect(args.exitCode == 0 && lines.prefix(3) == ["/args.wasm", "one", "two words"], "\(release): \(args)")
        #expect(lines.contains { $0.hasPrefix("HOSTNAME=") || $0.hasPrefix("PATH=") }, "the container's environment: \(args)")

        let trap = try cri.run(handler: "kwasm", image: try node.importWasmImage("trap"))
        #expect(trap.exitCode == 134, "\(release): \(trap)")
        #expect(trap.stderr.contains("unreachable") && trap.stderr.contains("validate_input"), "\(release): \(trap)")

        let deep = try cri.run(handler: "kwasm", image: try node.importWasmImage("recurse"))
        #expect(deep.exitCode == 0 && deep.stdout == "recursed 100000 calls deep\n", "\(release): \(deep)")
    }

    @Test(arguments: [KwasmNode.Release.debian1_6, .v2_2])
    func stoppingAWasmPodEndsItWithSigterm(release: KwasmNode.Release) throws {
        guard let assets = Self.assets() else { return }
        let node = try KwasmNode(release: release, assets: assets)
        let cri = node.cri
        let started = try cri.start(handler: "kwasm", image: try node.importWasmImage("sleep"))
        defer { cri.remove(pod: started.pod) }
        let deadline = Date().addingTimeInterval(60)
        while (try cri.crictlCommand(["logs", started.container])).stdout != "sleeping\n", Date() < deadline { usleep(50_000) }
        // A grace period far longer than the test: 137 (SIGKILL) would mean SIGTERM was ignored.
        _ = try cri.checked(["stop", "--timeout", "120", started.container])
        let stopped = try cri.waitForExit(started.container)
        #expect(stopped.exitCode == 143, "\(release): \(stopped)")
    }

    @Test func ordinaryContainersUnderTheKwasmHandlerAreLeftToRunc() throws {
        guard let assets = Self.assets() else { return }
        let node = try KwasmNode(release: .debian1_6, assets: assets)
        let tarball = node.sandbox.controlDirectory + "/busybox.tar"
        let image = try OCIImageBuilder.writeBusyboxImage(to: tarball)
        try node.ctrCommand(["-n", "k8s.io", "images", "import", tarball])
        let plain = try node.cri.run(handler: "kwasm", image: image, args: ["echo", "a plain linux container"])
        #expect(plain.exitCode == 0 && plain.stdout == "a plain linux container\n", "\(plain)")
    }

    static func assets() -> TestAssets? {
        if let reason = KwasmNode.unavailableReason {
            FileHandle.standardError.write(Data("\n*** SKIPPED: kwasm CRI test: \(reason) ***\n".utf8))
            return nil
        }
        return TestAssets.fromEnvironment
    }
}
