import Foundation

/// A real containerd (Debian's 1.6, or 2.0 / 2.2 from the test assets) in a sandbox, with the `kwasm`
/// runtime configured as the catalog entry installs it (`io.containerd.runc.v2`, `BinaryName` =
/// kwasm-oci, wasm annotations passed through), and crun+WAMR as `crun-wasm` for comparison.
/// Pods run through CRI with crictl, the way the kubelet runs them. Used by the kwasm runtime tests
/// and the wasm benchmark (kwasm-wasm-bench).
public final class KwasmNode {
    public enum Release: String, CaseIterable, CustomStringConvertible, Sendable {
        case debian1_6 = "containerd-1.6", v2_0 = "containerd-2.0", v2_2 = "containerd-2.2"
        public var description: String { rawValue }
        var assetsRelease: TestAssets.ContainerdRelease? {
            switch self {
            case .debian1_6: nil
            case .v2_0: .v2_0
            case .v2_2: .v2_2
            }
        }
    }

    public let sandbox: ContainerdSandbox
    public let assets: TestAssets
    public let release: Release
    public let ctr: String
    public let installDirectory: String

    /// Why a node cannot be started here, or nil.
    public static var unavailableReason: String? {
        if let reason = ContainerdSandbox.unavailableReason { return reason }
        if let reason = TestAssets.unavailableReason { return reason }
        return nil
    }

    /// - Parameters:
    ///   - kwasmOCI, kwasmWasi: the built binaries, installed side by side as the catalog entry does.
    ///   - runnerLibrariesScript: installer-image/runner-libraries.sh, which lists a dynamic runner's
    ///     loader and libraries into `kwasm-wasi.libs` (a static runner needs none).
    public init(release: Release, assets: TestAssets, kwasmOCI: String, kwasmWasi: String, runnerLibrariesScript: String) throws {
        self.release = release
        self.assets = assets
        let containerd = release.assetsRelease.map { SandboxContainerd.release($0, assets: assets) } ?? .debian
        sandbox = try ContainerdSandbox(config: Self.config(crun: assets.wasmCrun), containerd: containerd)
        installDirectory = sandbox.hostRoot + "/opt/kwasm/bin"
        ctr = release.assetsRelease.map(assets.ctr) ?? "/usr/bin/ctr"
        try installKwasm(oci: kwasmOCI, wasi: kwasmWasi, script: runnerLibrariesScript)
        try sandbox.start()
        try sandbox.importPauseImage(assets, ctr: ctr)
    }

    deinit { sandbox.destroy() }

    /// What the catalog entry installs: kwasm-oci and kwasm-wasi side by side; the debug runner is
    /// dynamic, so kwasm-wasi.libs lists its loader and libraries (installer-image/runner-libraries.sh).
    private func installKwasm(oci: String, wasi: String, script: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: installDirectory, withIntermediateDirectories: true)
        try fm.copyItem(atPath: oci, toPath: installDirectory + "/kwasm-oci")
        try fm.copyItem(atPath: wasi, toPath: installDirectory + "/kwasm-wasi")
        let result = try CommandRunner.run("/bin/sh", [script, installDirectory + "/kwasm-wasi"])
        guard result.succeeded else { throw SandboxError("runner-libraries.sh: \(result)") }
        try result.stdout.write(toFile: installDirectory + "/kwasm-wasi.libs", atomically: true, encoding: .utf8)
    }

    public static func config(crun: String) -> String {
        func runtime(_ name: String, binary: String) -> String {
            """
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.\(name)]
                    runtime_type = "io.containerd.runc.v2"
                    pod_annotations = ["module.wasm.image/*"]
                    container_annotations = ["module.wasm.image/*"]
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.\(name).options]
                      BinaryName = "\(binary)"
                      SystemdCgroup = false

            """
        }
        return """
        version = 2

        [plugins]
          [plugins."io.containerd.grpc.v1.cri"]
            sandbox_image = "\(TestAssets.pauseReference)"
            # Root in a container may lack CAP_SYS_RESOURCE, which lowering the pause container's OOM score needs.
            restrict_oom_score_adj = true
            [plugins."io.containerd.grpc.v1.cri".containerd]
              snapshotter = "native"
              default_runtime_name = "runc"
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"
        \(runtime("kwasm", binary: "{{HOST_ROOT}}/opt/kwasm/bin/kwasm-oci"))\(runtime("crun-wasm", binary: crun))
            [plugins."io.containerd.grpc.v1.cri".cni]
              bin_dir = "/usr/lib/cni"
              conf_dir = "{{HOST_ROOT}}/etc/cni/net.d"
          [plugins."io.containerd.internal.v1.opt"]
            path = "{{HOST_ROOT}}/opt/containerd"

        """
    }

    @discardableResult
    public func ctrCommand(_ arguments: [String]) throws -> CommandResult {
        let result = try CommandRunner.run(ctr, ["--address", sandbox.socketPath] + arguments)
        guard result.succeeded else { throw SandboxError("ctr \(arguments.joined(separator: " ")): \(result)") }
        return result
    }

    /// Builds a wasm image holding `module` as `/<name>.wasm` and imports it for CRI; returns its reference.
    public func importWasmImage(_ name: String, module path: String) throws -> String {
        let reference = "kwtest.local/wasm-\(name):v1"
        let tarball = sandbox.controlDirectory + "/wasm-\(name).tar"
        let module = try Data(contentsOf: URL(fileURLWithPath: path))
        try OCIImageBuilder.writeWasmImage(module: module, fileName: "\(name).wasm", reference: reference, to: tarball)
        try ctrCommand(["-n", "k8s.io", "images", "import", tarball])
        return reference
    }

    public var cri: CrictlClient { CrictlClient(crictl: assets.crictl, socket: sandbox.socketPath, logDirectory: sandbox.baseDirectory + "/pods") }
}
