import Foundation

/// What containerd's version service answered.
public struct ContainerdVersionInfo: Sendable, Equatable {
    public var version: String
    public var revision: String
}

/// One CRI runtime handler as the running containerd loaded it.
public struct LoadedRuntime: Sendable, Equatable {
    public var handler: String
    public var runtimeType: String
    /// `options.BinaryName`, when set (OCI-binary runtimes).
    public var binaryName: String?
    /// `runtime_path`, when set (honoured only by some versions: ``ContainerdProcess/honoursRuntimePath``).
    public var runtimePath: String? = nil
}

/// The CRI runtime status (verbose), reduced to what verification needs.
public struct CRIRuntimeStatus: Sendable, Equatable {
    /// Runtime handlers from the CRI config the plugin is running with (`info["config"]`).
    public var runtimes: [String: LoadedRuntime]
    /// `runtime_handlers` (field 3), reported by newer containerd; empty on 1.6.
    public var handlerNames: [String]
    /// Conditions such as `RuntimeReady=true`.
    public var conditions: [String: Bool]
    /// The pod sandbox (pause) image, where the CRI config reports it (`sandboxImage`, 1.x; 2.x keeps it in the
    /// images plugin's `pinned_images`, not in this status).
    public var sandboxImage: String?
}

/// The two containerd calls the installer makes, over containerd's own socket.
public struct ContainerdAPI: Sendable {
    public var client: UnixGRPCClient

    public init(socketPath: String) {
        client = UnixGRPCClient(socketPath: socketPath)
    }

    /// `containerd.services.version.v1.Version/Version`.
    public func version(timeout: Duration = .seconds(5)) async throws -> ContainerdVersionInfo {
        let response = try await client.unary(path: "/containerd.services.version.v1.Version/Version", request: [], timeout: timeout)
        let fields = try ProtobufCodec.decode(response)
        return ContainerdVersionInfo(
            version: ProtobufCodec.string(fields, 1) ?? "",
            revision: ProtobufCodec.string(fields, 2) ?? ""
        )
    }

    /// `runtime.v1.RuntimeService/Status` with `verbose = true`, falling back to `runtime.v1alpha2`.
    public func criStatus(timeout: Duration = .seconds(5)) async throws -> CRIRuntimeStatus {
        let request = ProtobufCodec.encodeBool(field: 1, true)
        let response: [UInt8]
        do {
            response = try await client.unary(path: "/runtime.v1.RuntimeService/Status", request: request, timeout: timeout)
        } catch let error as GRPCCallError where error.status == GRPCCallError.unimplemented {
            response = try await client.unary(path: "/runtime.v1alpha2.RuntimeService/Status", request: request, timeout: timeout)
        }
        return try Self.parseStatus(response)
    }

    /// Decodes a `StatusResponse`: field 1 RuntimeStatus (repeated conditions: type = 1, status = 2),
    /// field 2 `map<string,string> info` (key `config` holds the CRI config as JSON), field 3 runtime handlers.
    public static func parseStatus(_ bytes: [UInt8]) throws -> CRIRuntimeStatus {
        let fields = try ProtobufCodec.decode(bytes)
        var conditions: [String: Bool] = [:]
        if let statusBytes = ProtobufCodec.allBytes(fields, 1).first {
            for condition in ProtobufCodec.allBytes(try ProtobufCodec.decode(statusBytes), 1) {
                let c = try ProtobufCodec.decode(condition)
                let type = ProtobufCodec.string(c, 1) ?? ""
                let ok = c.contains { $0.number == 2 && $0.value == .varint(1) }
                conditions[type] = ok
            }
        }
        let info = try ProtobufCodec.stringMap(fields, 2)
        var handlerNames: [String] = []
        for handler in ProtobufCodec.allBytes(fields, 3) {
            handlerNames.append(ProtobufCodec.string(try ProtobufCodec.decode(handler), 1) ?? "")
        }
        var runtimes: [String: LoadedRuntime] = [:]
        let object = info["config"].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        if let object, let containerd = object["containerd"] as? [String: Any],
           let table = containerd["runtimes"] as? [String: Any] {
            for (handler, value) in table {
                guard let runtime = value as? [String: Any] else { continue }
                let options = runtime["options"] as? [String: Any]
                runtimes[handler] = LoadedRuntime(
                    handler: handler,
                    runtimeType: runtime["runtimeType"] as? String ?? runtime["runtime_type"] as? String ?? "",
                    binaryName: options?["BinaryName"] as? String,
                    runtimePath: (runtime["runtimePath"] as? String).flatMap { $0.isEmpty ? nil : $0 }
                )
            }
        }
        let sandboxImage = (object?["sandboxImage"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        return CRIRuntimeStatus(runtimes: runtimes, handlerNames: handlerNames, conditions: conditions, sandboxImage: sandboxImage)
    }
}
