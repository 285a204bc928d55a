import Foundation
import NodeInstaller

/// What a container run through the CRI printed and how it ended.
public struct CRIPodRun: Sendable, Equatable {
    public var exitCode: Int32
    /// stdout and stderr interleaved, as the kubelet's `kubectl logs` shows them.
    public var output: String
    public var stdout: String
    public var stderr: String
}

/// Runs one container the way the kubelet does: `RunPodSandbox` with the runtime handler (host network, so no
/// CNI is needed), `CreateContainer` + `StartContainer`, waits for it to exit, reads its CRI log, then removes
/// the container and the sandbox whatever happened. The image must already be in containerd's `k8s.io`
/// namespace (no pulls: this machine has no registry).
public struct CRIPodRunner: Sendable {
    public var api: ContainerdAPI

    public init(socketPath: String) {
        api = ContainerdAPI(socketPath: socketPath)
    }

    /// Runs `image` with runtime handler `handler`; `command` replaces the image's entrypoint when not empty,
    /// `args` its default arguments. Throws when the sandbox or container cannot start or does not exit
    /// within `timeout`.
    public func run(
        handler: String, image: String, command: [String] = [], args: [String] = [],
        annotations: [String: String] = [:], environment: [String: String] = [:], timeout: Duration = .seconds(60)
    ) async throws -> CRIPodRun {
        let logDirectory = try Self.makeLogDirectory()
        defer { try? FileManager.default.removeItem(atPath: logDirectory) }
        let name = "kw-" + UUID().uuidString.prefix(8).lowercased()
        let pod = CRIPodSandboxConfig(name: name, namespace: "kwasm-test", uid: UUID().uuidString, logDirectory: logDirectory,
                                      annotations: annotations)
        let container = CRIContainerConfig(name: "main", image: image, command: command, args: args,
                                           environment: environment, annotations: annotations)
        let sandboxID = try await api.runPodSandbox(pod, handler: handler)
        var containerID: String?
        do {
            containerID = try await api.createContainer(inSandbox: sandboxID, container, sandboxConfig: pod)
            try await api.startContainer(containerID!)
            let status = try await waitForExit(containerID!, timeout: timeout)
            let log = CRILog(text: (try? String(contentsOfFile: logDirectory + "/" + container.logPath, encoding: .utf8)) ?? "")
            await discard(containerID, sandboxID)
            return CRIPodRun(exitCode: status.exitCode, output: log.output, stdout: log.stdout, stderr: log.stderr)
        } catch {
            await discard(containerID, sandboxID)
            throw error
        }
    }

    private func waitForExit(_ id: String, timeout: Duration) async throws -> CRIContainerStatus {
        let deadline = ContinuousClock.now + timeout
        while true {
            let status = try await api.containerStatus(id)
            if status.state == .exited { return status }
            guard ContinuousClock.now < deadline else {
                throw SandboxError("container \(id) did not exit within \(timeout) (state \(status.state))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func discard(_ containerID: String?, _ sandboxID: String) async {
        if let containerID {
            try? await api.stopContainer(containerID)
            try? await api.removeContainer(containerID)
        }
        await api.discardPodSandbox(sandboxID)
    }

    /// containerd (running as root on this machine) writes the container log here.
    static func makeLogDirectory() throws -> String {
        var template = Array("/tmp/kw-log-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SandboxError("mkdtemp failed: errno \(errno)") }
        return String(cString: made)
    }
}

/// The CRI container log format: `TIMESTAMP STREAM TAG CONTENT` per line, tag `P` for a partial line
/// continued by the next entry of the same stream, `F` for a full one.
struct CRILog {
    var output = ""
    var stdout = ""
    var stderr = ""

    init(text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count >= 3 else { continue }
            let content = parts.count == 4 ? String(parts[3]) : ""
            let piece = parts[2] == "P" ? content : content + "\n"
            output += piece
            if parts[1] == "stderr" { stderr += piece } else { stdout += piece }
        }
    }
}
