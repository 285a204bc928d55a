/// One wasm runtime the operator can ask the installer for, and the RuntimeClass it backs: a name
/// and a handler. What the runtime is made of (files, checksums, options) is the installer image's
/// `NodeInstaller.RuntimeCatalog`; how it is written into containerd's configuration is
/// `ContainerdConfig.RuntimeDefinition`.
public struct WasmRuntime: Sendable, Equatable, Hashable, Codable {
    /// `catalog`: a runtime the operator knows only by name and handler; the installer image's
    /// `runtimes.json` says what it is (added there with `kwasm-node-installer catalog add`).
    public enum Kind: String, Sendable, Codable { case shim, ociBinary = "oci-binary", catalog }
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

/// Runtime names → RuntimeClass handlers. The installer image's `runtimes.json` is the source of truth
/// (files, checksums, kind, options); the operator needs only each name's handler. The well-known
/// runtimes below carry theirs; any other DNS-1123 name in `--runtimes` is taken as an entry of the
/// image's catalog with handler = name (the `catalog add` default) or `NAME=HANDLER`. A name the image
/// does not hold fails on the node with reason `UnknownRuntime` (docs/runtime-catalog.md).
/// Not the image's catalog itself (`NodeInstaller.RuntimeCatalog`, read only on the node).
public struct KnownWasmRuntimes: Sendable, Equatable {
    public struct UnknownRuntime: Error, CustomStringConvertible, Equatable {
        public let name: String
        public let known: [String]
        public var description: String {
            "invalid runtime \"\(name)\" in --runtimes: expected NAME or NAME=HANDLER, each a DNS-1123 label "
                + "(well-known: \(known.joined(separator: ", ")))"
        }
    }

    public let runtimes: [WasmRuntime]

    public init(runtimes: [WasmRuntime]) { self.runtimes = runtimes }

    public static let `default` = KnownWasmRuntimes(runtimes: [
        WasmRuntime(name: "kwasm", handler: "kwasm", kind: .ociBinary, runtimeType: "io.containerd.runc.v2"),
        shim("spin", file: "containerd-shim-spin-v2"),
        shim("wasmtime", file: "containerd-shim-wasmtime-v1"),
        shim("wasmedge", file: "containerd-shim-wasmedge-v1"),
        shim("wasmer", file: "containerd-shim-wasmer-v1"),
        shim("slight", file: "containerd-shim-slight-v1"),
        shim("wws", file: "containerd-shim-wws-v1"),
        shim("lunatic", file: "containerd-shim-lunatic-v1"),
        WasmRuntime(name: "crun-wasmedge", handler: "crun", kind: .ociBinary, runtimeType: "io.containerd.runc.v2"),
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

    private static func shim(_ name: String, file: String) -> WasmRuntime {
        WasmRuntime(name: name, handler: name, kind: .shim, runtimeType: runtimeType(forShimFile: file)!)
    }

    public func definition(named name: String) -> WasmRuntime? {
        runtimes.first { $0.name == name }
    }

    /// Resolves a `--runtimes` list (`NAME` or `NAME=HANDLER`) in the order given, dropping duplicates.
    public func resolve(_ names: [String]) throws(UnknownRuntime) -> [WasmRuntime] {
        var result: [WasmRuntime] = []
        for item in names {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let name = parts[0]
            guard !result.contains(where: { $0.name == name }) else { continue }
            guard Self.isDNSLabel(name), parts.count == 1 || Self.isDNSLabel(parts[1]) else {
                throw UnknownRuntime(name: item, known: runtimes.map(\.name))
            }
            if parts.count == 1, let known = definition(named: name) {
                result.append(known)
            } else {
                let handler = parts.count == 2 ? parts[1] : name
                result.append(WasmRuntime(name: name, handler: handler, kind: .catalog, runtimeType: ""))
            }
        }
        return result
    }

    static func isDNSLabel(_ text: String) -> Bool {
        guard (1...63).contains(text.count), let first = text.first, let last = text.last,
              first.isLetter || first.isNumber, last.isLetter || last.isNumber
        else { return false }
        return text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }
}
