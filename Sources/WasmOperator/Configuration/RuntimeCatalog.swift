/// One wasm runtime the operator can ask the installer for, and the RuntimeClass it backs.
public struct RuntimeDefinition: Sendable, Equatable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable { case shim, ociBinary = "oci-binary" }
    /// Catalog name, as passed to `--runtimes` and to the installer.
    public var name: String
    /// containerd handler, also the RuntimeClass name.
    public var handler: String
    public var kind: Kind
    public var runtimeType: String

    public init(name: String, handler: String, kind: Kind, runtimeType: String) {
        self.name = name
        self.handler = handler
        self.kind = kind
        self.runtimeType = runtimeType
    }
}

/// The default runtime catalog (contracts.md). The installer image's `runtimes.json` is the
/// source of truth for files and checksums; the operator needs only names and handlers.
public struct RuntimeCatalog: Sendable, Equatable {
    public struct UnknownRuntime: Error, CustomStringConvertible, Equatable {
        public let name: String
        public let known: [String]
        public var description: String {
            "unknown runtime \"\(name)\" in --runtimes (known: \(known.joined(separator: ", ")))"
        }
    }

    public let runtimes: [RuntimeDefinition]

    public init(runtimes: [RuntimeDefinition]) { self.runtimes = runtimes }

    public static let `default` = RuntimeCatalog(runtimes: [
        shim("spin", file: "containerd-shim-spin-v2"),
        shim("wasmtime", file: "containerd-shim-wasmtime-v1"),
        shim("wasmedge", file: "containerd-shim-wasmedge-v1"),
        shim("wasmer", file: "containerd-shim-wasmer-v1"),
        shim("slight", file: "containerd-shim-slight-v1"),
        shim("wws", file: "containerd-shim-wws-v1"),
        shim("lunatic", file: "containerd-shim-lunatic-v1"),
        RuntimeDefinition(name: "crun-wasmedge", handler: "crun", kind: .ociBinary, runtimeType: "io.containerd.runc.v2"),
    ])

    /// `containerd-shim-NAME-vN` → `io.containerd.NAME.vN`.
    public static func runtimeType(forShimFile file: String) -> String? {
        let prefix = "containerd-shim-"
        guard file.hasPrefix(prefix) else { return nil }
        let rest = file.dropFirst(prefix.count)
        guard let dash = rest.lastIndex(of: "-") else { return nil }
        let name = rest[..<dash]
        let version = rest[rest.index(after: dash)...]
        guard !name.isEmpty, version.hasPrefix("v"), version.count > 1,
              version.dropFirst().allSatisfy(\.isNumber) else { return nil }
        return "io.containerd.\(name).\(version)"
    }

    private static func shim(_ name: String, file: String) -> RuntimeDefinition {
        RuntimeDefinition(name: name, handler: name, kind: .shim, runtimeType: runtimeType(forShimFile: file)!)
    }

    public func definition(named name: String) -> RuntimeDefinition? {
        runtimes.first { $0.name == name }
    }

    /// Resolves a `--runtimes` list in the order given, dropping duplicates.
    public func resolve(_ names: [String]) throws(UnknownRuntime) -> [RuntimeDefinition] {
        var result: [RuntimeDefinition] = []
        for name in names where !result.contains(where: { $0.name == name }) {
            guard let definition = definition(named: name) else {
                throw UnknownRuntime(name: name, known: runtimes.map(\.name))
            }
            result.append(definition)
        }
        return result
    }
}
