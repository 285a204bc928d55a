import ContainerdConfig
import Foundation

/// The installer image's `runtimes.json` (contracts.md): which runtimes exist and their files with sha256.
public struct RuntimeCatalog: Codable, Sendable, Equatable {
    public struct File: Codable, Sendable, Equatable {
        /// Relative to the assets dir.
        public var path: String
        public var sha256: String
        public var mode: String = "0755"

        /// The mode the installed file gets: the catalog's, clamped to at most 0755 (containerd runs shims
        /// as root: never setuid/setgid/sticky, never writable by anyone but root), always readable by root.
        public var installMode: mode_t {
            (mode_t(UInt32(mode, radix: 8) ?? 0o755) & 0o755) | 0o400
        }

        /// The file's name in `<install-dir>/bin`.
        public var baseName: String { path.split(separator: "/").last.map(String.init) ?? path }
    }

    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var handler: String
        /// `shim` or `oci-binary`.
        public var kind: String
        public var version: String
        public var runtimeType: String
        public var files: [File]
        public var options: [String: JSONScalar] = [:]
        public var podAnnotations: [String] = []

        public init(name: String, handler: String, kind: String, version: String, runtimeType: String,
                    files: [File], options: [String: JSONScalar] = [:], podAnnotations: [String] = []) {
            self.name = name
            self.handler = handler
            self.kind = kind
            self.version = version
            self.runtimeType = runtimeType
            self.files = files
            self.options = options
            self.podAnnotations = podAnnotations
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            handler = try c.decodeIfPresent(String.self, forKey: .handler) ?? name
            kind = try c.decode(String.self, forKey: .kind)
            version = try c.decodeIfPresent(String.self, forKey: .version) ?? ""
            runtimeType = try c.decode(String.self, forKey: .runtimeType)
            files = try c.decode([File].self, forKey: .files)
            options = try c.decodeIfPresent([String: JSONScalar].self, forKey: .options) ?? [:]
            podAnnotations = try c.decodeIfPresent([String].self, forKey: .podAnnotations) ?? []
        }

        /// The binaries' install paths on the host: `<install-dir>/bin/<basename>`.
        public func installedPaths(installDir: String) -> [String] {
            files.map { installDir + "/bin/" + $0.baseName }
        }

        /// The engine's definition of this runtime installed under `installDir` (host paths).
        public func definition(installDir: String) -> RuntimeDefinition {
            let paths = installedPaths(installDir: installDir)
            let options = self.options.mapValues(\.configValue)
            if kind == "oci-binary" {
                return RuntimeDefinition(name: name, handler: handler, kind: .ociBinary, runtimeType: runtimeType,
                                         binaryPath: paths.first, podAnnotations: podAnnotations, options: options)
            }
            return RuntimeDefinition(name: name, handler: handler, kind: .shim, runtimeType: runtimeType,
                                     shimPath: paths.first, podAnnotations: podAnnotations, options: options)
        }
    }

    public var runtimes: [Entry]

    public init(runtimes: [Entry] = []) {
        self.runtimes = runtimes
    }

    public static let fileName = "runtimes.json"

    /// Reads and validates `<assets>/runtimes.json`.
    public static func load(assets: String) throws -> RuntimeCatalog {
        let path = assets + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InstallerError(.catalogInvalid, "cannot read the runtime catalog \(path)")
        }
        let catalog: RuntimeCatalog
        do {
            catalog = try JSONDecoder().decode(RuntimeCatalog.self, from: data)
        } catch {
            throw InstallerError(.catalogInvalid, "\(path) is not a valid runtime catalog: \(error)")
        }
        try catalog.validate(source: path)
        return catalog
    }

    /// Checks names, kinds, checksums and file paths; every problem names the entry.
    public func validate(source: String) throws {
        var handlers = Set<String>()
        // Every file lands in one directory, `<install-dir>/bin/<basename>`: two different files with one
        // basename would overwrite each other there (the same file shared by two runtimes is fine).
        var owners: [String: (runtime: String, sha256: String)] = [:]
        for entry in runtimes {
            func fail(_ reason: String) -> InstallerError {
                InstallerError(.catalogInvalid, "\(source): runtime \"\(entry.name)\": \(reason)")
            }
            guard Self.isDNSLabel(entry.name) else { throw fail("name must be a DNS-1123 label") }
            guard Self.isDNSLabel(entry.handler) else { throw fail("handler \"\(entry.handler)\" must be a DNS-1123 label") }
            guard handlers.insert(entry.handler).inserted else { throw fail("handler \"\(entry.handler)\" is used twice") }
            guard entry.kind == "shim" || entry.kind == "oci-binary" else { throw fail("kind must be shim or oci-binary") }
            guard !entry.runtimeType.isEmpty else { throw fail("runtimeType is empty") }
            guard !entry.files.isEmpty else { throw fail("no files") }
            for file in entry.files {
                guard !file.path.hasPrefix("/"), !file.path.split(separator: "/").contains(".."), !file.path.isEmpty else {
                    throw fail("file path \"\(file.path)\" must stay inside the assets dir")
                }
                guard file.sha256.count == 64, file.sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                    throw fail("file \(file.path): sha256 must be 64 lowercase hex digits")
                }
                guard let mode = UInt32(file.mode, radix: 8), mode <= 0o7777 else {
                    throw fail("file \(file.path): mode \"\(file.mode)\" is not an octal file mode")
                }
                guard file.baseName != InstallerFiles.stateFileName, !file.baseName.hasPrefix(".") else {
                    throw fail("file \(file.path): the name \(file.baseName) is reserved")
                }
                if let owner = owners[file.baseName], owner.sha256 != file.sha256 {
                    throw fail("file \(file.path) would be installed as bin/\(file.baseName), where runtime \"\(owner.runtime)\" installs a different file")
                }
                owners[file.baseName] = (entry.name, file.sha256)
            }
            for key in entry.options.keys where !Self.isOptionKey(key) {
                throw fail("option key \"\(key.prefix(80))\" must be letters, digits and _ (a containerd option name)")
            }
        }
    }

    /// The entries named in `names` (all when empty), in the order given.
    public func select(_ names: [String]) throws -> [Entry] {
        if names.isEmpty { return runtimes }
        return try names.map { name in
            guard let entry = runtimes.first(where: { $0.name == name }) else {
                throw InstallerError(.unknownRuntime, "runtime \"\(name)\" is not in the catalog (have: \(runtimes.map(\.name).joined(separator: ", ")))")
            }
            return entry
        }
    }

    /// Stable, human-diffable JSON.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// containerd's runtime options are Go struct fields: `[A-Za-z_][A-Za-z0-9_]*`.
    public static func isOptionKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, key.unicodeScalars.count <= 128 else { return false }
        func letter(_ c: Unicode.Scalar) -> Bool { (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || c == "_" }
        return letter(first) && key.unicodeScalars.allSatisfy { letter($0) || ($0 >= "0" && $0 <= "9") }
    }

    public static func isDNSLabel(_ text: String) -> Bool {
        guard (1...63).contains(text.count), let first = text.first, let last = text.last,
              first.isLetter || first.isNumber, last.isLetter || last.isNumber
        else { return false }
        return text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }

    /// `containerd-shim-NAME-vN` → `io.containerd.NAME.vN`.
    public static func shimRuntimeType(fileName: String) -> String? {
        let prefix = "containerd-shim-"
        guard fileName.hasPrefix(prefix) else { return nil }
        let rest = fileName.dropFirst(prefix.count)
        guard let dash = rest.lastIndex(of: "-") else { return nil }
        let name = rest[..<dash]
        let version = rest[rest.index(after: dash)...]
        guard !name.isEmpty, version.hasPrefix("v"), version.dropFirst().allSatisfy(\.isNumber), version.count > 1 else { return nil }
        return "io.containerd.\(name).\(version)"
    }
}
