/// The one change `kwasm-oci` makes to a container: when its OCI spec is a wasm container, the runner
/// is bind-mounted read-only into the rootfs and put in front of `process.args`. Everything else
/// (namespaces, cgroups, limits, seccomp, mounts) stays exactly as the kubelet and containerd made it.
public struct WasmBundleRewrite: Sendable {
    /// Where the runner appears inside the container.
    public static let mountDirectory = "/.kwasm"
    /// The annotation wasm images and pods carry (the same one crun and runwasi read).
    public static let variantAnnotation = "module.wasm.image/variant"
    /// Set by containerd's CRI on every container: `sandbox` for the pod's pause container.
    public static let containerTypeAnnotation = "io.kubernetes.cri.container-type"

    /// Host path of the `kwasm-wasi` binary.
    public var runnerPath: String
    /// Host paths of a dynamic runner's loader (`ld-*`) and shared libraries (a debug build; the
    /// installer image's runner is static and has none). Each is mounted read-only into
    /// `/.kwasm/lib/` and the runner started through that loader: the image brings no libc.
    public var libraries: [String]

    public init(runnerPath: String, libraries: [String] = []) {
        self.runnerPath = runnerPath
        self.libraries = libraries
    }

    static func baseName(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }

    /// A wasm container: the compat annotation, or an entrypoint that is a `.wasm` file.
    public static func isWasmContainer(_ spec: JSONValue) -> Bool {
        // The pod's sandbox (pause) container carries the pod's annotations too, but is never wasm.
        if spec["annotations"]?[containerTypeAnnotation]?.stringValue == "sandbox" { return false }
        if let variant = spec["annotations"]?[variantAnnotation]?.stringValue, variant.hasPrefix("compat") {
            return true
        }
        return spec["process"]?["args"]?.arrayValue?.first?.stringValue?.hasSuffix(".wasm") ?? false
    }

    /// The spec to run, or `nil` when it is not a wasm container (or already rewritten): then the
    /// bundle is left untouched, byte for byte.
    public func rewrite(_ spec: JSONValue) -> JSONValue? {
        guard Self.isWasmContainer(spec), var args = spec["process"]?["args"]?.arrayValue, !args.isEmpty,
              args.first?.stringValue?.hasPrefix(Self.mountDirectory + "/") != true
        else { return nil }
        var spec = spec
        var mounts = spec["mounts"]?.arrayValue ?? []
        let runnerInside = Self.mountDirectory + "/kwasm-wasi"
        mounts.append(Self.readOnlyBind(source: runnerPath, destination: runnerInside))
        var front = [runnerInside]
        if let loader = libraries.first(where: { Self.baseName($0).hasPrefix("ld-") }) {
            let libraryInside = Self.mountDirectory + "/lib"
            for library in libraries {
                mounts.append(Self.readOnlyBind(source: library, destination: libraryInside + "/" + Self.baseName(library)))
            }
            front = [libraryInside + "/" + Self.baseName(loader), "--library-path", libraryInside, runnerInside]
        }
        args.insert(contentsOf: front.map(JSONValue.string), at: 0)
        spec["mounts"] = .array(mounts)
        spec["process"]?["args"] = .array(args)
        return spec
    }

    static func readOnlyBind(source: String, destination: String) -> JSONValue {
        .object([
            "destination": .string(destination),
            "type": .string("bind"),
            "source": .string(source),
            "options": .array(["rbind", "ro", "nosuid", "nodev"].map(JSONValue.string)),
        ])
    }
}
