import ContainerdSandbox
import NodeInstaller

// Kept apart: this file imports NodeInstaller for its CRI client only (the installer's report type
// must not meet the operator's in one file; see InstallerReportWriter.swift).

/// The runtime handlers the running containerd's CRI plugin has loaded, handler → runtime_type,
/// asked over containerd's socket (what the kubelet would see), not read from the config file.
func criLoadedHandlers(socketPath: String) async throws -> [String: String] {
    try await ContainerdAPI(socketPath: socketPath).criStatus(timeout: .seconds(30)).runtimes.mapValues(\.runtimeType)
}

/// Runs `args` in `image` through runtime handler `handler` the way the kubelet starts a pod (CRI RunPodSandbox
/// with the handler + CreateContainer + StartContainer), then removes the pod; returns its exit code and stdout.
func criRunPod(socketPath: String, handler: String, image: String, _ args: [String]) async throws -> (exitCode: Int32, stdout: String) {
    let run = try await CRIPodRunner(socketPath: socketPath).run(handler: handler, image: image, args: args)
    return (run.exitCode, run.stdout)
}
