import ArgumentParser
import ContainerdSandbox
import Foundation

/// Runs a real containerd in a sandbox host root for the local end-to-end demo (scripts/demo.sh):
/// starts it, imports the busybox test image, writes a shell env file describing the sandbox,
/// then holds it until SIGTERM/SIGINT and removes it (containerd stopped, mounts and files gone).
@main
struct SandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kwasm-sandbox",
        abstract: "A real containerd in a sandbox host root (own root, state, socket, network namespace), held until SIGTERM.")

    @Option(help: "Where to write the env file (KWASM_SANDBOX_* shell assignments) once containerd answers.")
    var envFile: String
    @Option(help: "containerd namespace the test image is imported into.")
    var namespace = "kwasm-demo"

    func run() throws {
        // Signals are handled by the dispatch sources below, not by the default action.
        for signalNumber in [SIGTERM, SIGINT, SIGHUP] { signal(signalNumber, SIG_IGN) }
        let sandbox = try ContainerdSandbox(namespace: namespace)
        do {
            try sandbox.start()
            let image = try sandbox.importTestImage()
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
            ]
            let text = values.map { "\($0.0)='\($0.1)'\n" }.joined()
            try Data(text.utf8).write(to: URL(fileURLWithPath: envFile + ".tmp"))
            guard rename(envFile + ".tmp", envFile) == 0 else { throw ValidationError("cannot write \(envFile)") }
        } catch {
            sandbox.destroy()
            throw error
        }
        print("kwasm-sandbox: containerd answering at \(sandbox.socketPath) (host root \(sandbox.hostRoot))")
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
