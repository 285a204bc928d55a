import ContainerdSandbox
import Foundation
import KubernetesClient
import Testing

/// Issue #12 end to end: the operator installs the real `kwasm` runtime (next to the stand-in) on the
/// node; then a pod with the handler `kwasm` runs a real WASI module through CRI (RunPodSandbox with
/// the handler + CreateContainer + StartContainer, as the kubelet does), and its output and exit code
/// are the module's own.
@Suite("kwasm end to end")
struct KwasmEndToEndTests {
    @Test("operator installs kwasm → RuntimeClass kwasm → a WASI module runs through CRI with its real exit code",
          .enabled(if: BuiltPrograms.endToEndAvailable), .timeLimit(.minutes(10)))
    func aWasmPodRunsOnTheInstalledKwasmRuntime() async throws {
        let e2e = try await EndToEndCluster.start(withKwasm: true)
        do {
            let client = e2e.client
            let node = EndToEndCluster.nodeName
            let waiter = OperatorEndToEndTests()
            let status = try await waiter.annotateAndWaitUntilSettled(e2e)
            try #require(status.status?.phase == .ready, "lastError \(String(describing: status.status?.lastError))")
            let installed = status.status?.runtimes?.first { $0.name == "kwasm" }
            #expect(installed?.handler == "kwasm" && installed?.runtimeType == "io.containerd.runc.v2", "\(String(describing: installed))")
            let runtimeClass = try await waiter.waitFor("RuntimeClass kwasm", e2e) {
                try await client.getIfExists(RuntimeClass.self, name: "kwasm")
            }
            #expect(runtimeClass.handler == "kwasm")

            // containerd starts BinaryName at the host path the installer wrote (/opt/kwasm/bin/kwasm-oci): the
            // sandbox's containerd sees its host root's /opt there, as a node's containerd sees the node's.
            let image = try await offPool { () -> String in
                try e2e.sandbox.importPauseImage()
                let module = try Data(contentsOf: URL(fileURLWithPath: BuiltPrograms.repositoryRoot + "/scripts/wasi/hello-kwasm.wasm"))
                let tarball = e2e.workDirectory + "/hello-kwasm.tar"
                let image = try OCIImageBuilder.writeWasmImage(module: module, fileName: "hello-kwasm.wasm",
                                                               reference: "kwasm.local/hello-kwasm:e2e", to: tarball)
                try e2e.sandbox.importImage(tarball, namespace: ContainerdSandbox.criNamespace)
                return image
            }
            let finished = try await CRIPodRunner(socketPath: e2e.sandbox.socketPath).run(
                handler: runtimeClass.handler ?? "kwasm", image: image, command: [], args: [],
                annotations: ["module.wasm.image/variant": "compat"])
            #expect(finished.stdout == "Hello from a WASI module, run by kwasm-wasi (WasmKit) in a runc container!\n", "\(finished)")
            #expect(finished.stderr == "module: calling proc_exit(3)\n", "\(finished)")
            #expect(finished.exitCode == 3, "the module's proc_exit code: \(finished)")
        } catch {
            Issue.record("operator log (last lines):\n\(e2e.operatorProcess.logTail())")
            await e2e.tearDown()
            throw error
        }
        await e2e.tearDown()
    }
}
