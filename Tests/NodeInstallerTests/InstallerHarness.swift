import ContainerdSandbox
import Foundation
import NodeInstaller

/// Drives the real `kwasm-node-installer` binary against a sandbox containerd, the way the Job does.
struct InstallerHarness {
    let sandbox: ContainerdSandbox
    /// Assets dir (outside the host root), holding `runtimes.json` and the test shim.
    let assets: String
    /// The test runtime: Debian's runc shim under another name.
    static let handler = "kwtest"
    static let runtimeType = "io.containerd.kwtest.v2"
    static let shimHostPath = "/opt/kwasm/bin/containerd-shim-kwtest-v2"

    /// The installer binary: `KWASM_NODE_INSTALLER_BIN`, else next to the test bundle (same scratch dir's
    /// debug bin folder, works for `.build` and any `--scratch-path`), else `.build/debug`.
    static var installerBinary: String { BuiltProgram.path("kwasm-node-installer", override: "KWASM_NODE_INSTALLER_BIN") }

    static var isAvailable: Bool {
        guard ContainerdSandbox.isAvailable else { return false }
        guard FileManager.default.isExecutableFile(atPath: installerBinary) else {
            FileHandle.standardError.write(Data("\n*** SKIPPED: kwasm-node-installer not built at \(installerBinary) (set KWASM_NODE_INSTALLER_BIN) ***\n".utf8))
            return false
        }
        return true
    }

    /// A started sandbox plus a catalog made by the real `catalog add`: the test shim is the containerd's own
    /// runc shim under another name. With `pauseImage`, the pod sandbox image is there (as on a node that ran
    /// pods), so the installer's verification starts a probe pod; without it, it can only resolve the shim.
    init(config: String? = nil, containerd: SandboxContainerd = .debian, pauseImage: Bool = true) throws {
        sandbox = try ContainerdSandbox(config: config, containerd: containerd)
        do {
            assets = sandbox.baseDirectory + "/assets"
            try prepare(containerd: containerd, pauseImage: pauseImage)
        } catch {
            sandbox.destroy()  // the caller never gets a harness to destroy
            throw error
        }
    }

    private func prepare(containerd: SandboxContainerd, pauseImage: Bool) throws {
        try FileManager.default.createDirectory(atPath: assets, withIntermediateDirectories: true)
        let download = sandbox.baseDirectory + "/download"
        try FileManager.default.createDirectory(atPath: download, withIntermediateDirectories: true)
        let shim = download + "/containerd-shim-kwtest-v2"
        try FileManager.default.copyItem(atPath: containerd.binaryDirectory + "/containerd-shim-runc-v2", toPath: shim)
        let added = try CommandRunner.run(Self.installerBinary, ["catalog", "add", "--assets", assets, "--name", "kwtest",
                                                                 "--handler", Self.handler, "--kind", "shim", "--version", "1.0.0", "--file", shim])
        guard added.succeeded else { throw SandboxError("catalog add failed: \(added)") }
        try sandbox.start()
        if pauseImage { try sandbox.importPauseImage() }
    }

    /// Adds an oci-binary runtime (handler `handler`, runc-compatible `binary`) to the catalog.
    func addOCIBinaryRuntime(name: String, handler: String, binary: String, podAnnotations: [String] = []) throws {
        let added = try CommandRunner.run(Self.installerBinary, ["catalog", "add", "--assets", assets, "--name", name,
                                                                 "--handler", handler, "--kind", "oci-binary", "--version", "1.0.0", "--file", binary]
                                          + podAnnotations.flatMap { ["--pod-annotation", $0] })
        guard added.succeeded else { throw SandboxError("catalog add failed: \(added)") }
    }

    /// Runs `args` in the busybox test image through `handler` over CRI, as the kubelet would start a pod.
    func runPod(handler: String, _ args: [String], image: String? = nil, annotations: [String: String] = [:]) async throws -> CRIPodRun {
        let reference = try image ?? sandbox.importTestImage(namespace: ContainerdSandbox.criNamespace)
        return try await CRIPodRunner(socketPath: sandbox.socketPath).run(handler: handler, image: reference, args: args, annotations: annotations)
    }

    func destroy() { sandbox.destroy() }

    struct Run {
        var status: Int32
        var report: InstallerReport?
        var stdout: String
        var stderr: String
    }

    /// Runs `kwasm-node-installer OPERATION` with the sandbox flags; `--restart command` restarts the sandbox.
    /// `restart` replaces the `--restart command` flags (e.g. `["--restart", "k3s"]`).
    func run(_ operation: String, _ extra: [String] = [], environment: [String: String] = [:],
             restartCommand: String? = nil, restart: [String]? = nil, verifyTimeout: Int = 30) throws -> Run {
        var env = ProcessInfo.processInfo.environment
        env["KWASM_VERIFY_TIMEOUT"] = "\(verifyTimeout)"
        env["KWASM_CONTAINERD_LOG"] = "/var/log/containerd.log"
        for (k, v) in environment { env[k] = v }
        let restartFlags = restart ?? ["--restart", "command", "--restart-command", restartCommand ?? "sh \(sandbox.restartScriptPath)"]
        let args = [operation, "--host-root", sandbox.hostRoot, "--assets", assets] + restartFlags + extra
        let result = try CommandRunner.run(Self.installerBinary, args, environment: env)
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let report = try? JSONDecoder().decode(InstallerReport.self, from: Data(line.utf8))
        return Run(status: result.status, report: report, stdout: result.stdout, stderr: result.stderr)
    }

    var configBytes: Data { FileManager.default.contents(atPath: sandbox.configPath) ?? Data() }

    /// Every file, dir and symlink under the host root with its content hash, except containerd's own
    /// working dirs and logs (it writes there continuously) and `/run` (tmpfs state, our lock file).
    func hostTree() -> [String: String] {
        var tree: [String: String] = [:]
        let root = sandbox.hostRoot
        let skipped = ["run", "var/lib/containerd", "var/log", "opt/containerd"]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return tree }
        while let relative = walker.nextObject() as? String {
            if skipped.contains(where: { relative == $0 || relative.hasPrefix($0 + "/") }) {
                walker.skipDescendants()
                continue
            }
            let path = root + "/" + relative
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let type = attributes?[.type] as? FileAttributeType
            let mode = (attributes?[.posixPermissions] as? Int).map { String($0, radix: 8) } ?? "?"
            switch type {
            case .typeDirectory?: tree[relative] = "dir \(mode)"
            case .typeSymbolicLink?: tree[relative] = "link " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "")
            default: tree[relative] = "file \(mode) " + ((try? FileDigest.sha256(path: path)) ?? "unreadable")
            }
        }
        return tree
    }

    /// The handlers the running containerd's CRI plugin has loaded (asked over gRPC, not read from the file).
    func loadedRuntimes() async throws -> [String: LoadedRuntime] {
        // A generous deadline: tests block the (2-thread) cooperative pool with synchronous installer runs.
        try await ContainerdAPI(socketPath: sandbox.socketPath).criStatus(timeout: .seconds(30)).runtimes
    }
}
