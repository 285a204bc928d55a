/// Renders runtime definitions as TOML tables for the managed block.
enum RuntimeTables {
    /// Rejects definitions that cannot be written safely.
    static func validate(_ definitions: [RuntimeDefinition]) throws(ConfigError) {
        var seen = Set<String>()
        for definition in definitions {
            func bad(_ reason: String) -> ConfigError {
                ConfigError(.invalidDefinition, reason: "runtime \(definition.name): \(reason)")
            }
            let handler = definition.handler
            guard !handler.isEmpty, handler.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw bad("invalid handler name")
            }
            guard seen.insert(handler).inserted else { throw bad("handler \(handler) is listed twice") }
            // Our block may have to carry containerd's default `runc` itself (see needsDefaultRuntime): a
            // runtime of ours by that name would replace the one every ordinary pod runs with.
            if handler == "runc" {
                throw ConfigError(.runtimeConflict, reason: "runtime \(definition.name): handler runc is containerd's default runtime; refusing to replace it")
            }
            guard !definition.runtimeType.isEmpty else { throw bad("runtime_type is empty") }
            if let shimPath = definition.shimPath, !shimPath.hasPrefix("/") { throw bad("shim path must be absolute") }
            if definition.kind == .ociBinary {
                guard let binary = definition.binaryPath, binary.hasPrefix("/") else {
                    throw bad("an oci-binary runtime needs an absolute binary path")
                }
            }
            // containerd decodes options into Go struct fields: any other key is at best ignored, and a quoted
            // one has made containerd reject the whole file at its next restart.
            for key in definition.options.keys where !isOptionKey(key) {
                throw bad("option key \"\(key.prefix(80))\" must be letters, digits and _, starting with a letter or _")
            }
        }
    }

    static func isOptionKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, key.unicodeScalars.count <= 128 else { return false }
        func letter(_ c: Unicode.Scalar) -> Bool { (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c == "_" }
        return letter(first) && key.unicodeScalars.allSatisfy { letter($0) || ($0 >= "0" && $0 <= "9") }
    }

    /// Whether to write `runtime_path` (parsed from containerd 1.6 on; schema 3 implies 2.x). 1.6.0–1.6.20 and
    /// 1.7.0 parse but ignore it (the installer links the shim where they look); it is kept there so an upgrade
    /// to a release that honours it needs no rewrite.
    static func supportsRuntimePath(schema: Int, version: ContainerdVersion?) -> Bool {
        if schema == 3 { return true }
        guard let version else { return true }  // unknown: harmless if ignored by an older containerd
        return version >= ContainerdVersion(major: 1, minor: 6)
    }

    /// The runc options our runtimes inherit (today: `SystemdCgroup = true`), read from the config containerd uses.
    /// `false` is the default and is not copied: an `options` table is handed to a non-runc shim as
    /// `runtimeoptions.v1.Options` by containerd 2.x, which a shim that does not know that type refuses to start with.
    static func inheritedOptions(from doc: TOMLDocument?, runtimesPath: [String]) -> [String: ConfigValue] {
        guard let doc else { return [:] }
        var candidates = ["runc"]
        if case .string(let name)? = doc.value(at: Array(runtimesPath.dropLast()) + ["default_runtime_name"]) {
            candidates.append(name)
        }
        for name in candidates {
            if case .bool(let value)? = doc.value(at: runtimesPath + [name, "options", "SystemdCgroup"]) {
                return value ? ["SystemdCgroup": .bool(true)] : [:]
            }
        }
        return [:]
    }

    /// Whether our block must also carry containerd's default `runc` runtime.
    ///
    /// containerd 1.x (seen with Debian's 1.6.20) loses its built-in `runc` runtime as soon as the
    /// file has a runtimes table of its own (the decoded map replaces the default one). A config without
    /// a runtimes table of its own relies on that default, so adding only our runtimes would make
    /// CRI fail with "no corresponding runtime configured … default_runtime_name = runc" (found by
    /// the real-containerd test on Debian's config). Then we add a plain `runc` too. We do the same
    /// for schema-3 drop-ins: unverified on containerd 2.x here, and a plain runc equal to the
    /// built-in one is harmless while a missing one would take CRI down.
    static func needsDefaultRuntime(_ doc: TOMLDocument?, runtimesPath: [String]) -> Bool {
        guard let doc else { return false }
        let defaultName = doc.value(at: Array(runtimesPath.dropLast()) + ["default_runtime_name"])?.stringValue ?? "runc"
        return defaultName == "runc" && doc.node(at: runtimesPath + ["runc"]) == nil
    }

    /// Block body lines for all definitions (sorted by handler so the output is stable).
    static func render(_ definitions: [RuntimeDefinition], runtimesPath: [String], schema: Int,
                       version: ContainerdVersion?, inherited: [String: ConfigValue],
                       includeDefaultRuntime: Bool = false) -> [String] {
        var lines: [String] = []
        if includeDefaultRuntime {
            lines.append("# containerd's default runc runtime: containerd 1.x drops its built-in one once a runtimes table exists.")
            lines.append("[\(TOMLKey.render(runtimesPath + ["runc"]))]")
            lines.append("  runtime_type = \"io.containerd.runc.v2\"")
        }
        for definition in definitions.sorted(by: { $0.handler < $1.handler }) {
            let table = TOMLKey.render(runtimesPath + [definition.handler])
            if !lines.isEmpty { lines.append("") }
            lines.append("[\(table)]")
            lines.append("  runtime_type = \(TOMLString.basic(definition.runtimeType))")
            if definition.kind == .shim, let shimPath = definition.shimPath,
               supportsRuntimePath(schema: schema, version: version) {
                lines.append("  runtime_path = \(TOMLString.basic(shimPath))")
            }
            if !definition.podAnnotations.isEmpty {
                lines.append("  pod_annotations = \(render(.array(definition.podAnnotations.map(ConfigValue.string))))")
            }
            var options = inherited
            if definition.kind == .ociBinary, let binary = definition.binaryPath {
                options["BinaryName"] = .string(binary)
            }
            for (key, value) in definition.options { options[key] = value }
            if !options.isEmpty {
                lines.append("[\(table).options]")
                for key in options.keys.sorted() {
                    lines.append("  \(TOMLKey.render(key)) = \(render(options[key]!))")
                }
            }
        }
        return lines
    }

    static func render(_ value: ConfigValue) -> String {
        switch value {
        case .string(let s): return TOMLString.basic(s)
        case .integer(let n): return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .float(let d):
            if d.isNaN { return "nan" }
            if d.isInfinite { return d < 0 ? "-inf" : "inf" }
            let text = String(d)
            return text.contains(".") || text.contains("e") ? text : text + ".0"
        case .array(let items): return "[" + items.map(render).joined(separator: ", ") + "]"
        }
    }
}
