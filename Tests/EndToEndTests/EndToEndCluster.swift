import ClusterSimulator
import ContainerdSandbox
import Foundation
import KubernetesClient
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What scripts/demo.sh starts, started from a test: a real containerd in a sandbox host root, the
/// installer's asset catalog made by the real `kwasm-node-installer catalog add`, a simulated cluster
/// (fake API server over HTTP + a kubelet that runs installer Jobs' commands for real against the
/// sandbox), and the real `kwasm-operator` binary as a child process reading a kubeconfig file.
///
/// ``tearDown()`` stops and removes everything, also after a failed start or a failed expectation.
final class EndToEndCluster: Sendable {
    static let nodeName = "node-0"
    static let namespace = "kwasm"
    /// The stand-in runtime (see ``start()``).
    static let runtime = "wasmtime"
    static let shimFile = "containerd-shim-wasmtime-v1"
    static let shimHostPath = "/opt/kwasm/bin/containerd-shim-wasmtime-v1"

    let sandbox: ContainerdSandbox
    /// The busybox image imported into the sandbox containerd.
    let image: String
    /// The host's `/etc/containerd/config.toml` before anything was installed.
    let originalConfig: Data
    /// SHA-256 of the shim put into the catalog.
    let shimSHA256: String
    /// The installer's assets dir (`runtimes.json` and `bin/`), as `catalog add` left it.
    let assets: String
    /// A scratch dir of the test's own, outside the host root and the assets.
    let workDirectory: String
    let cluster: LocalCluster
    let operatorProcess: ChildProcess
    /// A client of the cluster, configured from the same kubeconfig file the operator reads.
    let client: KubernetesClient
    private let cleanup: Cleanup

    private init(sandbox: ContainerdSandbox, image: String, originalConfig: Data, shimSHA256: String, assets: String,
                 workDirectory: String, cluster: LocalCluster, operatorProcess: ChildProcess, client: KubernetesClient,
                 cleanup: Cleanup) {
        self.sandbox = sandbox
        self.image = image
        self.originalConfig = originalConfig
        self.shimSHA256 = shimSHA256
        self.assets = assets
        self.workDirectory = workDirectory
        self.cluster = cluster
        self.operatorProcess = operatorProcess
        self.client = client
        self.cleanup = cleanup
    }

    /// - Parameter operatorArguments: extra `kwasm-operator run` flags (e.g. `--drift-interval 3s`,
    ///   `--max-attempts 2`), after the ones every end-to-end test uses.
    /// - Parameter withKwasm: also put the real `kwasm` runtime (kwasm-oci + kwasm-wasi built here) into
    ///   the catalog and ask the operator for it (`--runtimes wasmtime,kwasm`).
    /// - Parameter runtimes: the operator's `--runtimes` instead of that default (e.g. a name the catalog lacks).
    static func start(operatorArguments: [String] = [], withKwasm: Bool = false, runtimes: String? = nil) async throws -> EndToEndCluster {
        let cleanup = Cleanup()
        do {
            // 1. A real containerd in a sandbox host root (own root, state, socket, network namespace).
            // (Its default config already sets restrict_oom_score_adj, which CRI pods need where root lacks
            // CAP_SYS_RESOURCE.)
            let sandbox = try ContainerdSandbox(namespace: "kwasm-e2e")
            cleanup.add { await Self.removeSandbox(sandbox) }
            let image = try await offPool {
                try sandbox.start(timeout: 60)
                // Pods run through CRI, which uses the k8s.io namespace and needs the pod sandbox image.
                try sandbox.importPauseImage()
                return try sandbox.importTestImage(namespace: ContainerdSandbox.criNamespace)
            }
            let originalConfig = try Data(contentsOf: URL(fileURLWithPath: sandbox.configPath))
            let work = sandbox.baseDirectory + "/e2e"
            try FileManager.default.createDirectory(atPath: work + "/assets/bin", withIntermediateDirectories: true)

            // 2. The installer's assets, made by the real `catalog add`. No wasm shim can be downloaded on
            // this machine, so — exactly as scripts/demo.sh does — the runtime `wasmtime` is a STAND-IN:
            // Debian's containerd-shim-runc-v2 copied as containerd-shim-wasmtime-v1 (it runs ordinary Linux
            // containers). Everything else is the real path: checksums, config patch, restart, CRI verification.
            let assets = work + "/assets"
            let shim = assets + "/bin/" + shimFile
            try FileManager.default.copyItem(atPath: "/usr/bin/containerd-shim-runc-v2", toPath: shim)
            let installer = BuiltPrograms.installerBinary
            let added = try await offPool {
                try CommandRunner.run(installer, [
                    "catalog", "add", "--assets", assets, "--name", runtime, "--handler", runtime, "--kind", "shim",
                    "--version", "stand-in-runc-shim", "--file", shim,
                ])
            }
            guard added.succeeded else { throw SandboxError("kwasm-node-installer catalog add failed: \(added)") }
            let shimSHA256 = try await sha256(of: shim)
            if withKwasm { try await addKwasm(installer: installer, assets: assets) }

            // 3. The simulated cluster, its kubelet running the installer Jobs' commands for real against the sandbox.
            var logger = Logger(label: "e2e-cluster")
            logger.logLevel = ProcessInfo.processInfo.environment["KWASM_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
            var options = LocalCluster.Options()
            options.namespace = namespace
            options.firstNodeMachineID = sandbox.machineID
            options.behavior = InstallerProcessRunner(
                installer: installer, hostRoot: sandbox.hostRoot,
                environment: [
                    "KWASM_ASSETS": assets,
                    "KWASM_RESTART": "command",
                    "KWASM_RESTART_COMMAND": "sh " + sandbox.restartScriptPath,
                    "KWASM_CONTAINERD_LOG": "/var/log/containerd.log",
                ],
                logger: logger
            ).behavior
            let cluster = try await LocalCluster.start(options, logger: logger)
            cleanup.add {
                cluster.cluster.stop()
                // The kubelet may be running an installer right now: stop it (and the restart it may be
                // running) before the sandbox goes, or it outlives the sandbox.
                Self.killInstallers(hostRoot: sandbox.hostRoot)
                await cluster.stop()
            }
            let kubeconfig = work + "/kubeconfig"
            try cluster.writeKubeconfig(to: kubeconfig)

            // 4. The real operator binary over HTTP, as demo.sh starts it.
            let digest = String(repeating: "0", count: 64)
            let operatorProcess = try ChildProcess(BuiltPrograms.operatorBinary, [
                "run", "--kubeconfig", kubeconfig, "--namespace", namespace, "--runtimes", runtimes ?? (withKwasm ? runtime + ",kwasm" : runtime),
                "--installer-image", "ghcr.io/kwasm/kwasm-node-installer@sha256:\(digest)",
                "--health-probe-bind-address", "127.0.0.1:0", "--metrics-bind-address", "0",
            ] + operatorArguments, logPath: work + "/operator.log")
            cleanup.add { await operatorProcess.stop() }

            let client = try KubernetesClient(configuration: try ClientConfiguration.load(kubeconfigPath: kubeconfig))
            cleanup.add { try? await client.shutdown() }
            return EndToEndCluster(
                sandbox: sandbox, image: image, originalConfig: originalConfig, shimSHA256: shimSHA256, assets: assets,
                workDirectory: work, cluster: cluster, operatorProcess: operatorProcess, client: client, cleanup: cleanup)
        } catch {
            await cleanup.run()
            throw error
        }
    }

    /// `catalog add` of the real `kwasm` runtime, as scripts/demo.sh does: this build's kwasm-wasi is
    /// dynamic, so the catalog also carries `kwasm-wasi.libs` (its loader and libraries, which
    /// kwasm-oci mounts into wasm containers).
    private static func addKwasm(installer: String, assets: String) async throws {
        let libraries = assets + "/bin/kwasm-wasi.libs"
        let script = BuiltPrograms.repositoryRoot + "/installer-image/runner-libraries.sh"
        let added = try await offPool {
            let listed = try CommandRunner.run("/bin/sh", [script, BuiltPrograms.kwasmWasiBinary])
            guard listed.succeeded else { throw SandboxError("runner-libraries.sh failed: \(listed)") }
            try listed.stdout.write(toFile: libraries, atomically: true, encoding: .utf8)
            return try CommandRunner.run(installer, [
                "catalog", "add", "--assets", assets, "--name", "kwasm", "--kind", "oci-binary", "--version", "e2e",
                "--file", BuiltPrograms.kwasmOCIBinary, "--file", BuiltPrograms.kwasmWasiBinary, "--file", libraries,
            ])
        }
        guard added.succeeded else { throw SandboxError("catalog add kwasm failed: \(added)") }
    }

    /// Stops the operator, the cluster (and any installer it is running) and containerd, unmounts what
    /// containerd mounted and removes every file. Safe to call more than once.
    func tearDown() async {
        await cleanup.run()
    }

    // MARK: - Reading the host

    /// The host's containerd config file as it is now.
    var hostConfig: Data { FileManager.default.contents(atPath: sandbox.configPath) ?? Data() }

    /// A host path inside the sandbox host root.
    func hostPath(_ path: String) -> String { sandbox.hostRoot + path }

    static func sha256(of path: String) async throws -> String {
        let result = try await offPool { try CommandRunner.run("/usr/bin/sha256sum", [path]) }
        guard result.succeeded, let digest = result.stdout.split(separator: " ").first else {
            throw SandboxError("sha256sum \(path) failed: \(result)")
        }
        return String(digest)
    }

    // MARK: - Stopping

    /// SIGKILLs the installers the simulated kubelet started against this sandbox (told apart from other
    /// tests' installers in this process by their `KWASM_HOST_ROOT`), and everything they started.
    static func killInstallers(hostRoot: String) {
        let marker = Data(("KWASM_HOST_ROOT=" + hostRoot).utf8) + Data([0])
        for pid in descendants(of: getpid()) {
            guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                  environment.range(of: marker) != nil
            else { continue }
            for member in [pid] + descendants(of: pid) { kill(member, SIGKILL) }
        }
    }

    /// `destroy()` stops containerd and removes the sandbox; anything still running from it after that
    /// (a containerd or shim a killed restart left behind) is found by its command line, killed, and the
    /// sandbox removed again.
    static func removeSandbox(_ sandbox: ContainerdSandbox) async {
        _ = try? await offPool {
            sandbox.destroy()
            let leftovers = processes(mentioning: sandbox.baseDirectory + "/")
            guard !leftovers.isEmpty else { return }
            for pid in leftovers { kill(pid, SIGKILL) }
            usleep(200_000)
            sandbox.destroy()
        }
    }
}

/// Undo steps, run once, newest first.
final class Cleanup: Sendable {
    private let steps = Mutex<[@Sendable () async -> Void]>([])

    func add(_ step: @escaping @Sendable () async -> Void) {
        steps.withLock { $0.append(step) }
    }

    func run() async {
        let pending = steps.withLock { steps in
            defer { steps.removeAll() }
            return steps
        }
        for step in pending.reversed() { await step() }
    }
}
