/// How containerd starts a runtime.
public enum RuntimeKind: String, Sendable, Hashable, Codable {
    /// A runwasi-style shim binary `containerd-shim-NAME-vN`, selected by `runtime_type = "io.containerd.NAME.vN"`.
    case shim
    /// An OCI runtime binary (crun/youki built with a Wasm engine) driven by the runc shim:
    /// `runtime_type = "io.containerd.runc.v2"` plus `options.BinaryName`.
    case ociBinary = "oci-binary"
}

/// A scalar or array value written into a runtime's `options` table.
public enum ConfigValue: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case float(Double)
    case array([ConfigValue])
}

/// One runtime the engine adds to containerd's CRI runtimes table.
public struct RuntimeDefinition: Sendable, Hashable {
    /// The runtime's catalog name (for messages only).
    public var name: String
    /// The CRI handler: the key under `…containerd.runtimes` and the RuntimeClass handler.
    public var handler: String
    /// Shim or OCI binary.
    public var kind: RuntimeKind
    /// containerd `runtime_type`; for `.ociBinary` this is normally `io.containerd.runc.v2`.
    public var runtimeType: String
    /// Absolute host path of the shim binary, written as `runtime_path`. containerd honours it from 1.6.21 and
    /// 1.7.1 on; older ones find a shim only by name on their PATH or next to their binary, which the installer
    /// handles with a link (NodeInstaller `ShimLinkPlanner`; docs/runtime-catalog.md).
    public var shimPath: String?
    /// Absolute host path of the OCI runtime binary (`options.BinaryName`), for `.ociBinary`.
    public var binaryPath: String?
    /// CRI `pod_annotations` passed through to the runtime (e.g. `module.wasm.image/variant`).
    public var podAnnotations: [String]
    /// Extra entries for the runtime's `options` table. Overrides inherited runc options
    /// (such as `SystemdCgroup`) with the same key.
    public var options: [String: ConfigValue]

    /// Creates a definition; see the properties for the meaning of each field.
    public init(
        name: String,
        handler: String? = nil,
        kind: RuntimeKind,
        runtimeType: String,
        shimPath: String? = nil,
        binaryPath: String? = nil,
        podAnnotations: [String] = [],
        options: [String: ConfigValue] = [:]
    ) {
        self.name = name
        self.handler = handler ?? name
        self.kind = kind
        self.runtimeType = runtimeType
        self.shimPath = shimPath
        self.binaryPath = binaryPath
        self.podAnnotations = podAnnotations
        self.options = options
    }

    /// A runwasi shim: `containerd-shim-spin-v2` → handler `spin`, `runtime_type = "io.containerd.spin.v2"`.
    public static func shim(name: String, handler: String? = nil, runtimeType: String, shimPath: String? = nil,
                            options: [String: ConfigValue] = [:]) -> RuntimeDefinition {
        RuntimeDefinition(name: name, handler: handler, kind: .shim, runtimeType: runtimeType,
                          shimPath: shimPath, options: options)
    }

    /// An OCI-binary runtime run by the runc shim, e.g. crun with WasmEdge.
    public static func ociBinary(name: String, handler: String? = nil, binaryPath: String,
                                 podAnnotations: [String] = ["module.wasm.image/variant"],
                                 options: [String: ConfigValue] = [:]) -> RuntimeDefinition {
        RuntimeDefinition(name: name, handler: handler, kind: .ociBinary, runtimeType: "io.containerd.runc.v2",
                          binaryPath: binaryPath, podAnnotations: podAnnotations, options: options)
    }
}
