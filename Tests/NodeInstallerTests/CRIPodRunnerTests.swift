import ContainerdSandbox
import Foundation
import NodeInstaller
import Testing

/// The CRI pod runner (our own CRI client) against the real containerd 1.6, 2.0 and 2.2: a pod sandbox with a
/// runtime handler, a container created and started in it, its exit code and log, and nothing left behind.
@Suite(.enabled(if: ContainerdSandbox.isAvailable, "needs root and Debian's containerd"))
struct CRIPodRunnerTests {
    static var containerds: [SandboxContainerd] { SandboxContainerd.all(assets: TestAssets.fromEnvironment) }

    @Test(arguments: containerds)
    func aContainerRunsThroughTheRuncHandlerAndItsOutputAndExitCodeComeBack(_ containerd: SandboxContainerd) async throws {
        let sandbox = try ContainerdSandbox(containerd: containerd)
        defer { sandbox.destroy() }
        try sandbox.start()
        try sandbox.importPauseImage()
        let image = try sandbox.importTestImage(namespace: ContainerdSandbox.criNamespace)
        let runner = CRIPodRunner(socketPath: sandbox.socketPath)

        let run = try await runner.run(handler: "runc", image: image, command: ["/bin/sh", "-c", "echo out-$KW; echo err >&2; exit 7"],
                                       annotations: ["example.com/a": "b"], environment: ["KW": "v"])
        #expect(run.exitCode == 7, "\(run)")
        #expect(run.stdout == "out-v\n")
        #expect(run.stderr == "err\n")

        // The pod and container are gone, as after `kubectl delete pod`.
        let crictl = try Self.crictl(sandbox, "pods", "-q")
        #expect(crictl?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "" == "")
    }

    @Test(arguments: containerds)
    func anUnknownHandlerFailsRunPodSandboxAsTheKubeletSeesIt(_ containerd: SandboxContainerd) async throws {
        let sandbox = try ContainerdSandbox(containerd: containerd)
        defer { sandbox.destroy() }
        try sandbox.start()
        try sandbox.importPauseImage()
        let image = try sandbox.importTestImage(namespace: ContainerdSandbox.criNamespace)
        await #expect(throws: GRPCCallError.self) {
            _ = try await CRIPodRunner(socketPath: sandbox.socketPath).run(handler: "no-such-handler", image: image, args: ["true"])
        }
    }

    /// Cross-check against crictl: the same pod through crictl's `runp` + `create` + `start` gives the same log.
    @Test(.enabled(if: TestAssets.fromEnvironment != nil, "needs KWASM_TEST_ASSETS (crictl)"))
    func crictlSeesTheSameHandlerAndOutput() async throws {
        let sandbox = try ContainerdSandbox()
        defer { sandbox.destroy() }
        try sandbox.start()
        try sandbox.importPauseImage()
        let image = try sandbox.importTestImage(namespace: ContainerdSandbox.criNamespace)
        let ours = try await CRIPodRunner(socketPath: sandbox.socketPath).run(handler: "runc", image: image, args: ["echo", "same"])

        let dir = sandbox.baseDirectory + "/crictl"
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        let pod = #"{"metadata":{"name":"x","namespace":"kwasm-test","uid":"u-x"},"log_directory":"\#(dir)/logs","linux":{"security_context":{"namespace_options":{"network":2}}}}"#
        let container = #"{"metadata":{"name":"main"},"image":{"image":"\#(image)"},"args":["echo","same"],"log_path":"main.log","linux":{"security_context":{"namespace_options":{"network":2}}}}"#
        try Data(pod.utf8).write(to: URL(fileURLWithPath: dir + "/pod.json"))
        try Data(container.utf8).write(to: URL(fileURLWithPath: dir + "/container.json"))
        let podID = try #require(try Self.crictl(sandbox, "runp", "--runtime", "runc", dir + "/pod.json"))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let containerID = try #require(try Self.crictl(sandbox, "create", podID, dir + "/container.json", dir + "/pod.json"))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try Self.crictl(sandbox, "start", containerID) != nil)
        var state = ""
        for _ in 0..<200 where !state.contains("CONTAINER_EXITED") {
            state = try Self.crictl(sandbox, "inspect", "-o", "go-template", "--template", "{{.status.state}} {{.status.exitCode}}", containerID) ?? ""
            if !state.contains("CONTAINER_EXITED") { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(state.contains("CONTAINER_EXITED 0"), "\(state)")
        #expect(try Self.crictl(sandbox, "logs", containerID) == ours.stdout)
        // crictl sees the handler our client used for its pod the same way.
        #expect(try Self.crictl(sandbox, "inspectp", "-o", "go-template", "--template", "{{.status.runtimeHandler}}", podID)?
            .trimmingCharacters(in: .whitespacesAndNewlines) == "runc")
        _ = try Self.crictl(sandbox, "stopp", podID)
        _ = try Self.crictl(sandbox, "rmp", podID)
    }

    /// `crictl --runtime-endpoint SOCKET args…`: stdout, or `nil` when it failed.
    static func crictl(_ sandbox: ContainerdSandbox, _ arguments: String...) throws -> String? {
        guard let assets = TestAssets.quietlyFromEnvironment else { return "" }
        let result = try CommandRunner.run(assets.crictl, ["--runtime-endpoint", "unix://" + sandbox.socketPath, "--timeout", "30s"] + arguments)
        return result.succeeded ? result.stdout : nil
    }
}

extension SandboxContainerd: CustomTestStringConvertible {
    public var testDescription: String { description }
}
