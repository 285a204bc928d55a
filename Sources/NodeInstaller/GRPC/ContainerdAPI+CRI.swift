/// The CRI calls the kubelet makes to start a pod with a runtime handler, over containerd's socket
/// (`runtime.v1.RuntimeService` / `runtime.v1.ImageService`). The installer's verification starts a probe
/// sandbox with each new handler; the test pod runner (ContainerdSandbox) also runs containers.
extension ContainerdAPI {
    static let runtimeService = "/runtime.v1.RuntimeService/"

    /// `RunPodSandbox` with `runtime_handler`; returns the sandbox id.
    public func runPodSandbox(_ config: CRIPodSandboxConfig, handler: String, timeout: Duration = .seconds(60)) async throws -> String {
        let request = ProtobufCodec.encodeMessage(field: 1, config.encoded) + ProtobufCodec.encodeString(field: 2, handler)
        let response = try await client.unary(path: Self.runtimeService + "RunPodSandbox", request: request, timeout: timeout)
        return ProtobufCodec.string(try ProtobufCodec.decode(response), 1) ?? ""
    }

    /// `StopPodSandbox` (stops every container of the pod too).
    public func stopPodSandbox(_ id: String, timeout: Duration = .seconds(30)) async throws {
        _ = try await client.unary(path: Self.runtimeService + "StopPodSandbox", request: ProtobufCodec.encodeString(field: 1, id), timeout: timeout)
    }

    /// `RemovePodSandbox` (removes its containers too).
    public func removePodSandbox(_ id: String, timeout: Duration = .seconds(30)) async throws {
        _ = try await client.unary(path: Self.runtimeService + "RemovePodSandbox", request: ProtobufCodec.encodeString(field: 1, id), timeout: timeout)
    }

    /// Stops then removes a sandbox, ignoring errors: cleanup after a probe or a test pod, whatever happened.
    public func discardPodSandbox(_ id: String) async {
        try? await stopPodSandbox(id)
        try? await removePodSandbox(id)
    }

    /// `CreateContainer` in a running sandbox; returns the container id.
    public func createContainer(
        inSandbox sandboxID: String, _ config: CRIContainerConfig, sandboxConfig: CRIPodSandboxConfig,
        timeout: Duration = .seconds(60)
    ) async throws -> String {
        let request = ProtobufCodec.encodeString(field: 1, sandboxID) + ProtobufCodec.encodeMessage(field: 2, config.encoded)
            + ProtobufCodec.encodeMessage(field: 3, sandboxConfig.encoded)
        let response = try await client.unary(path: Self.runtimeService + "CreateContainer", request: request, timeout: timeout)
        return ProtobufCodec.string(try ProtobufCodec.decode(response), 1) ?? ""
    }

    /// `StartContainer`.
    public func startContainer(_ id: String, timeout: Duration = .seconds(60)) async throws {
        _ = try await client.unary(path: Self.runtimeService + "StartContainer", request: ProtobufCodec.encodeString(field: 1, id), timeout: timeout)
    }

    /// `ContainerStatus`.
    public func containerStatus(_ id: String, timeout: Duration = .seconds(30)) async throws -> CRIContainerStatus {
        let response = try await client.unary(path: Self.runtimeService + "ContainerStatus", request: ProtobufCodec.encodeString(field: 1, id), timeout: timeout)
        return try CRIContainerStatus.parse(response)
    }

    /// `StopContainer` with a grace period in seconds.
    public func stopContainer(_ id: String, gracePeriod: Int = 0, timeout: Duration = .seconds(30)) async throws {
        let request = ProtobufCodec.encodeString(field: 1, id) + ProtobufCodec.encodeUInt(field: 2, UInt64(max(0, gracePeriod)))
        _ = try await client.unary(path: Self.runtimeService + "StopContainer", request: request, timeout: timeout)
    }

    /// `RemoveContainer`.
    public func removeContainer(_ id: String, timeout: Duration = .seconds(30)) async throws {
        _ = try await client.unary(path: Self.runtimeService + "RemoveContainer", request: ProtobufCodec.encodeString(field: 1, id), timeout: timeout)
    }

    /// `ImageService/ImageStatus`: the image's id when containerd's CRI has it locally, `nil` when not.
    public func imageID(_ reference: String, timeout: Duration = .seconds(30)) async throws -> String? {
        let request = ProtobufCodec.encodeMessage(field: 1, ProtobufCodec.encodeString(field: 1, reference))
        let response = try await client.unary(path: "/runtime.v1.ImageService/ImageStatus", request: request, timeout: timeout)
        guard let image = ProtobufCodec.allBytes(try ProtobufCodec.decode(response), 1).first else { return nil }
        return ProtobufCodec.string(try ProtobufCodec.decode(image), 1)
    }
}
