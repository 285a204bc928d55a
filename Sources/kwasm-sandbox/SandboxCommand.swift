import ArgumentParser
import ContainerdSandbox
import Foundation

/// `kwasm-sandbox hold` (the default) runs a real containerd in a sandbox host root for the local end-to-end
/// demo (scripts/demo.sh); `kwasm-sandbox cri-run` runs one container through a CRI runtime handler, the way
/// the kubelet does.
@main
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kwasm-sandbox",
        abstract: "A real containerd in a sandbox host root, and a CRI pod runner.",
        subcommands: [HoldCommand.self, CRIRunCommand.self],
        defaultSubcommand: HoldCommand.self)
}

/// Which containerd `hold` runs.
enum ContainerdChoice: String, ExpressibleByArgument, CaseIterable {
    case debian
    case v2_0 = "2.0"
    case v2_2 = "2.2"

    func resolve() throws -> SandboxContainerd {
        switch self {
        case .debian: return .debian
        case .v2_0, .v2_2:
            guard let assets = TestAssets.fromEnvironment else {
                throw ValidationError("containerd \(rawValue) comes from the test assets: set \(TestAssets.environmentVariable)")
            }
            return .release(self == .v2_0 ? .v2_0 : .v2_2, assets: assets)
        }
    }
}

/// Starts containerd, imports the busybox test image and the pod sandbox image, writes a shell env file
/// describing the sandbox, then holds it until SIGTERM/SIGINT and removes it (containerd stopped, files gone).
struct HoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Start a sandboxed containerd (own root, state, socket, network and mount namespaces), held until SIGTERM.")

    @Option(help: "Where to write the env file (KWASM_SANDBOX_* shell assignments) once containerd answers.")
    var envFile: String
    @Option(help: "containerd namespace the test image is imported into.")
    var namespace = "kwasm-demo"
    @Option(help: "Which containerd: debian (1.6 from /usr/bin), 2.0 or 2.2 (from KWASM_TEST_ASSETS).")
    var containerd: ContainerdChoice = .debian

    func run() throws {
        // Signals are handled by the dispatch sources below, not by the default action.
        for signalNumber in [SIGTERM, SIGINT, SIGHUP] { signal(signalNumber, SIG_IGN) }
        let sandbox = try ContainerdSandbox(namespace: namespace, containerd: try containerd.resolve())
        do {
            try sandbox.start()
            let image = try sandbox.importTestImage()
            try sandbox.importTestImage(namespace: ContainerdSandbox.criNamespace)
            try sandbox.importPauseImage()
            let values: [(String, String)] = [
                ("KWASM_SANDBOX_DIR", sandbox.baseDirectory),
                ("KWASM_SANDBOX_HOST_ROOT", sandbox.hostRoot),
                ("KWASM_SANDBOX_SOCKET", sandbox.socketPath),
                ("KWASM_SANDBOX_NAMESPACE", sandbox.namespace),
                ("KWASM_SANDBOX_RESTART_COMMAND", "sh " + sandbox.restartScriptPath),
                ("KWASM_SANDBOX_STOP_SCRIPT", sandbox.controlDirectory + "/stop.sh"),
                ("KWASM_SANDBOX_MACHINE_ID", sandbox.machineID),
                ("KWASM_SANDBOX_IMAGE", image),
                ("KWASM_SANDBOX_LOG", sandbox.logPath),
                ("KWASM_SANDBOX_CTR", sandbox.containerd.ctr),
            ]
            let text = values.map { "\($0.0)='\($0.1)'\n" }.joined()
            try Data(text.utf8).write(to: URL(fileURLWithPath: envFile + ".tmp"))
            guard rename(envFile + ".tmp", envFile) == 0 else { throw ValidationError("cannot write \(envFile)") }
        } catch {
            sandbox.destroy()
            throw error
        }
        print("kwasm-sandbox: \(sandbox.containerd) answering at \(sandbox.socketPath) (host root \(sandbox.hostRoot))")
        fflush(nil)

        let done = DispatchSemaphore(value: 0)
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGTERM, SIGINT, SIGHUP] {
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { done.signal() }
            source.resume()
            sources.append(source)
        }
        done.wait()
        sandbox.destroy()
        withExtendedLifetime(sources) {}
        print("kwasm-sandbox: stopped containerd and removed \(sandbox.baseDirectory)")
    }
}

/// Runs one container through a runtime handler over CRI (RunPodSandbox + CreateContainer + StartContainer),
/// prints its output and exits with its exit code.
struct CRIRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cri-run",
        abstract: "Run a container through a CRI runtime handler like the kubelet; print its output, exit with its code.")

    @Option(help: "containerd's socket.")
    var socket: String
    @Option(help: "The CRI runtime handler (a RuntimeClass's handler).")
    var handler: String
    @Option(help: "An image present in containerd's k8s.io namespace.")
    var image: String
    @Option(name: .customLong("annotation"), help: "A pod and container annotation KEY=VALUE (repeatable).")
    var annotations: [String] = []
    @Option(name: .customLong("command"), help: "Replaces the image's entrypoint (repeatable: one argument each).")
    var command: [String] = []
    @Option(help: "Seconds to wait for the container to exit.")
    var timeout = 60
    @Argument(parsing: .postTerminator, help: "The container's arguments (after --).")
    var arguments: [String] = []

    func run() async throws {
        var parsed: [String: String] = [:]
        for annotation in annotations {
            guard let equals = annotation.firstIndex(of: "="), equals != annotation.startIndex else {
                throw ValidationError("--annotation \(annotation): expected KEY=VALUE")
            }
            parsed[String(annotation[..<equals])] = String(annotation[annotation.index(after: equals)...])
        }
        let result = try await CRIPodRunner(socketPath: socket).run(
            handler: handler, image: image, command: command, args: arguments, annotations: parsed,
            timeout: .seconds(timeout))
        FileHandle.standardOutput.write(Data(result.stdout.utf8))
        FileHandle.standardError.write(Data(result.stderr.utf8))
        throw ExitCode(result.exitCode)
    }
}
