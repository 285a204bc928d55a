import Foundation

/// `catalog add` / `catalog list`: the only writer of `runtimes.json`, so no checksum is typed by hand.
public enum CatalogEditor {
    /// What `catalog add` was asked to record.
    public struct AddRequest: Sendable {
        public var assets: String
        public var name: String
        public var handler: String
        public var kind: String
        public var version: String
        public var files: [String]
        public var options: [String: JSONScalar]
        public var podAnnotations: [String]

        public init(assets: String, name: String, handler: String, kind: String, version: String,
                    files: [String], options: [String: JSONScalar] = [:], podAnnotations: [String]? = nil) {
            self.assets = assets
            self.name = name
            self.handler = handler
            self.kind = kind
            self.version = version
            self.files = files
            self.options = options
            self.podAnnotations = podAnnotations ?? (kind == "oci-binary" ? ["module.wasm.image/variant"] : [])
        }
    }

    /// Adds or replaces the entry named `request.name`: hashes each file, copies files from outside the
    /// assets dir into `<assets>/bin/`, and rewrites `runtimes.json` atomically. Returns the new entry.
    @discardableResult
    public static func add(_ request: AddRequest) throws -> RuntimeCatalog.Entry {
        guard !request.files.isEmpty else { throw InstallerError(.invalidArgument, "catalog add needs at least one --file") }
        guard request.kind == "shim" || request.kind == "oci-binary" else {
            throw InstallerError(.invalidArgument, "--kind must be shim or oci-binary, not \"\(request.kind)\"")
        }
        let assets = URL(fileURLWithPath: request.assets).standardizedFileURL.resolvingSymlinksInPath().path
        try FileManager.default.createDirectory(atPath: assets + "/bin", withIntermediateDirectories: true)

        var files: [RuntimeCatalog.File] = []
        var copies: [(bytes: Data, relative: String)] = []
        for file in request.files {
            let source = URL(fileURLWithPath: file).standardizedFileURL.resolvingSymlinksInPath().path
            guard FileManager.default.isReadableFile(atPath: source) else {
                throw InstallerError(.invalidArgument, "cannot read --file \(file)")
            }
            if source.hasPrefix(assets + "/") {
                let relative = String(source.dropFirst(assets.count + 1))
                files.append(RuntimeCatalog.File(path: relative, sha256: try FileDigest.sha256(path: source), mode: "0755"))
            } else {
                let relative = "bin/" + URL(fileURLWithPath: source).lastPathComponent
                let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
                copies.append((bytes, relative))
                files.append(RuntimeCatalog.File(path: relative, sha256: FileDigest.sha256(bytes), mode: "0755"))
            }
        }

        let runtimeType: String
        if request.kind == "oci-binary" {
            runtimeType = "io.containerd.runc.v2"
        } else {
            let base = URL(fileURLWithPath: files[0].path).lastPathComponent
            guard let derived = RuntimeCatalog.shimRuntimeType(fileName: base) else {
                throw InstallerError(.invalidArgument, "shim file \(base) must be named containerd-shim-NAME-vN")
            }
            runtimeType = derived
        }
        let entry = RuntimeCatalog.Entry(name: request.name, handler: request.handler, kind: request.kind,
                                         version: request.version, runtimeType: runtimeType, files: files,
                                         options: request.options, podAnnotations: request.podAnnotations)

        let catalogPath = assets + "/" + RuntimeCatalog.fileName
        var catalog = FileManager.default.fileExists(atPath: catalogPath) ? try RuntimeCatalog.load(assets: assets) : RuntimeCatalog()
        if let index = catalog.runtimes.firstIndex(where: { $0.name == request.name }) {
            catalog.runtimes[index] = entry
        } else {
            catalog.runtimes.append(entry)
        }
        // Validate before copying anything: a file of another runtime with the same name is never overwritten.
        try catalog.validate(source: catalogPath)
        for copy in copies { try AtomicFile.write(copy.bytes, to: assets + "/" + copy.relative, mode: 0o755) }
        try AtomicFile.write(try catalog.encoded(), to: catalogPath, mode: 0o644)
        return entry
    }

    /// `catalog list`: the catalog as JSON.
    public static func list(assets: String) throws -> String {
        String(decoding: try RuntimeCatalog.load(assets: assets).encoded(), as: UTF8.self)
    }
}
