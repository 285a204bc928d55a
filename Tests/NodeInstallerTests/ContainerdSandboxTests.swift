import ContainerdSandbox
import NodeInstaller
import Foundation
import Testing

@Suite struct ContainerdSandboxTests {
    @Test(.enabled(if: ContainerdSandbox.isAvailable, "needs root and Debian's containerd"))
    func sandboxRunsAContainerWithRuncAndAnswersGRPCAndRestarts() async throws {
        let sandbox = try ContainerdSandbox()
        defer { sandbox.destroy() }
        try sandbox.start()
        let firstPid = try #require(sandbox.pid)
        let criLine = try sandbox.pluginsList().split(separator: "\n").first { $0.hasPrefix("io.containerd.grpc.v1") && $0.contains(" cri ") }
        #expect(criLine?.hasSuffix("ok") == true || criLine?.contains(" ok ") == true, "CRI plugin: \(criLine ?? "missing")")
        #expect(try sandbox.configDump().contains("io.containerd.runc.v2"))
        let version = try await ContainerdAPI(socketPath: sandbox.socketPath).version()
        #expect(version.version.hasPrefix("1.6."), "\(version)")
        let cri = try await ContainerdAPI(socketPath: sandbox.socketPath).criStatus(timeout: .seconds(30))
        #expect(cri.runtimes["runc"]?.runtimeType == "io.containerd.runc.v2")
        #expect(ContainerdIdentity.current(socketPath: sandbox.socketPath)?.pid == firstPid)
        let image = try sandbox.importTestImage()
        let run = try sandbox.runContainer(runtime: "io.containerd.runc.v2", image: image, command: ["echo", "hello-from-busybox"])
        #expect(run.succeeded, "\(run)")
        #expect(run.stdout.contains("hello-from-busybox"))
        try sandbox.restart()
        let secondPid = try #require(sandbox.pid)
        #expect(firstPid != secondPid)
        try sandbox.stop()
        #expect(sandbox.pid == nil)
    }
}
