import Foundation

/// The kubelet's path into containerd, through crictl (from the test assets): RunPodSandbox with a
/// runtime handler, CreateContainer, StartContainer, then the container's status and log. Pods use
/// the host network, so no CNI is needed.
public struct CrictlClient: Sendable {
    public let crictl: String
    public let socket: String
    /// Where pod log directories go.
    public let logDirectory: String

    public init(crictl: String, socket: String, logDirectory: String) {
        self.crictl = crictl
        self.socket = socket
        self.logDirectory = logDirectory
    }

    public struct Finished: Sendable, CustomStringConvertible {
        public var exitCode: Int32
        public var reason: String
        public var stdout: String
        public var stderr: String
        public var description: String { "exit \(exitCode) (\(reason))\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    public func crictlCommand(_ arguments: [String]) throws -> CommandResult {
        // An existing config file keeps crictl from warning on stderr (which `crictl logs` shares).
        let config = logDirectory + "/crictl.yaml"
        if !FileManager.default.fileExists(atPath: config) {
            try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
            try Data("runtime-endpoint: unix://\(socket)\nimage-endpoint: unix://\(socket)\n".utf8)
                .write(to: URL(fileURLWithPath: config))
        }
        return try CommandRunner.run(crictl, ["--config", config, "--runtime-endpoint", "unix://" + socket,
                                              "--image-endpoint", "unix://" + socket, "--timeout", "60s"] + arguments)
    }

    public func checked(_ arguments: [String]) throws -> String {
        let result = try crictlCommand(arguments)
        guard result.succeeded else { throw SandboxError("crictl \(arguments.joined(separator: " ")): \(result)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A host-network pod (no CNI needed) with one container; returns (pod id, container id), started.
    public func start(handler: String, image: String, args: [String] = [], podAnnotations: [String: String] = [:],
               name: String = "wasm") throws -> (pod: String, container: String) {
        let uid = UUID().uuidString.lowercased()
        let scratch = logDirectory + "/" + uid
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let pod: [String: Any] = [
            "metadata": ["name": name + "-" + uid.prefix(8), "namespace": "default", "uid": uid, "attempt": 0],
            "log_directory": scratch,
            "annotations": podAnnotations,
            "linux": ["security_context": ["namespace_options": ["network": 2]]],
        ]
        var container: [String: Any] = ["metadata": ["name": name], "image": ["image": image], "log_path": "\(name).log"]
        if !args.isEmpty { container["args"] = args }
        let podPath = scratch + "/pod.json", containerPath = scratch + "/container.json"
        try JSONSerialization.data(withJSONObject: pod, options: .withoutEscapingSlashes).write(to: URL(fileURLWithPath: podPath))
        try JSONSerialization.data(withJSONObject: container, options: .withoutEscapingSlashes).write(to: URL(fileURLWithPath: containerPath))
        let podID = try checked(["runp", "--runtime", handler, podPath])
        let containerID = try checked(["create", "--no-pull", podID, containerPath, podPath])
        _ = try checked(["start", containerID])
        return (podID, containerID)
    }

    /// The container's state, exit code and reason (`crictl inspect`).
    public func status(_ container: String) throws -> (state: String, exitCode: Int32, reason: String) {
        let json = try checked(["inspect", "-o", "json", container])
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let status = object?["status"] as? [String: Any] ?? [:]
        return (status["state"] as? String ?? "", Int32(status["exitCode"] as? Int ?? -1), status["reason"] as? String ?? "")
    }

    /// Waits until the container exits (the module ends or is killed).
    public func waitForExit(_ container: String, seconds: Double = 90) throws -> Finished {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let current = try status(container)
            if current.state == "CONTAINER_EXITED" {
                let logs = try crictlCommand(["logs", container])
                return Finished(exitCode: current.exitCode, reason: current.reason, stdout: logs.stdout, stderr: logs.stderr)
            }
            if Date() > deadline { throw SandboxError("container \(container) still \(current.state) after \(seconds) s") }
            usleep(50_000)
        }
    }

    /// RunPodSandbox + CreateContainer + StartContainer, wait for the exit, remove the pod.
    public func run(handler: String, image: String, args: [String] = [], podAnnotations: [String: String] = [:]) throws -> Finished {
        let started = try start(handler: handler, image: image, args: args, podAnnotations: podAnnotations)
        defer { remove(pod: started.pod) }
        return try waitForExit(started.container)
    }

    public func remove(pod: String) {
        _ = try? crictlCommand(["stopp", pod])
        _ = try? crictlCommand(["rmp", pod])
    }
}

extension ContainerdSandbox {
    /// Imports the test assets' pause image into CRI's namespace under the sandbox image name this
    /// containerd's config asks for (`sandbox_image`), so RunPodSandbox needs no registry.
    public func importPauseImage(_ assets: TestAssets, ctr: String = "/usr/bin/ctr") throws {
        func run(_ arguments: [String]) throws {
            let result = try CommandRunner.run(ctr, ["--address", socketPath, "-n", "k8s.io"] + arguments)
            guard result.succeeded else { throw SandboxError("ctr \(arguments.joined(separator: " ")): \(result)") }
        }
        try run(["images", "import", assets.pauseImage])
        let wanted = (try? configDump())?.split(separator: "\n").first { $0.contains("sandbox_image") }
            .flatMap { $0.split(separator: "\"").dropFirst().first.map(String.init) }
        if let wanted, wanted != TestAssets.pauseReference {
            try run(["images", "tag", "--force", TestAssets.pauseReference, wanted])
        }
    }
}
