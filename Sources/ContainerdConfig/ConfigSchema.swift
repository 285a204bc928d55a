/// containerd config schema detection and the CRI plugin id each schema uses.
enum ConfigSchema {
    static let v1PluginID = "cri"
    static let v2PluginID = "io.containerd.grpc.v1.cri"
    static let v3PluginID = "io.containerd.cri.v1.runtime"

    /// The schema containerd reads the file as: root `version` absent → 1, else 1, 2 or 3.
    static func detect(_ doc: TOMLDocument, file: String) throws(ConfigError) -> Int {
        guard let entry = doc.rootEntry("version") else { return 1 }
        guard case .integer(let n) = entry.value else {
            throw ConfigError(.parseError, file: file, line: entry.firstLine,
                              reason: "root key 'version' must be an integer")
        }
        guard (1...3).contains(n) else { throw .unsupportedSchema(n, file: file, line: entry.firstLine) }
        return Int(n)
    }

    /// The plugin id whose `containerd.runtimes` table containerd's CRI reads.
    ///
    /// containerd decides by `version`, so this follows `version` and not the ids a file happens
    /// to use: a version-less file is read as schema 1 (`plugins.cri`) even if it also contains
    /// `io.containerd.grpc.v1.cri` tables (containerd 1.x ignores those in a v1 file).
    /// One deliberate exception, for `version = 2` files that use the v3 ids (AKS on
    /// containerd 2.x): only containerd 2.x reads those, and it migrates a version-2
    /// `io.containerd.grpc.v1.cri` section by *replacing* `io.containerd.cri.v1.runtime` with it.
    /// So when such a file has `io.containerd.cri.v1.runtime` and no `io.containerd.grpc.v1.cri`
    /// at all, we write under the v3 id (read verbatim by containerd 2.x) rather than add a
    /// grpc.v1.cri section that would wipe the user's runtime settings.
    static func criPluginID(schema: Int, doc: TOMLDocument?) -> String {
        switch schema {
        case 1: return v1PluginID
        case 3: return v3PluginID
        default:
            if let doc, doc.node(at: ["plugins", v2PluginID]) == nil, doc.node(at: ["plugins", v3PluginID]) != nil {
                return v3PluginID
            }
            return v2PluginID
        }
    }

    static func runtimesPath(pluginID: String) -> [String] {
        ["plugins", pluginID, "containerd", "runtimes"]
    }
}
