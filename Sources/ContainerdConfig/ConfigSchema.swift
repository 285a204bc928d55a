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
    ///
    /// `version = 2` files that also use the v3 id `io.containerd.cri.v1.runtime` (AKS on
    /// containerd 2.x) are only fully read by containerd 2.x, which migrates a version-2
    /// `io.containerd.grpc.v1.cri` section *into* `io.containerd.cri.v1.runtime` key by key with
    /// the keys already there winning (containerd's `configMigration`): an existing
    /// `…cri.v1.runtime.containerd.runtimes` table makes every runtime under grpc.v1.cri vanish.
    /// So for such files we write under the v3 id — unless the host is known to run containerd 1.x,
    /// which reads only grpc.v1.cri — and otherwise under grpc.v1.cri, which both 1.x and 2.x read.
    static func criPluginID(schema: Int, doc: TOMLDocument?, version: ContainerdVersion? = nil) -> String {
        switch schema {
        case 1: return v1PluginID
        case 3: return v3PluginID
        default:
            guard let doc, doc.node(at: ["plugins", v3PluginID]) != nil else { return v2PluginID }
            if let version { return version.major >= 2 ? v3PluginID : v2PluginID }
            let hasV2 = doc.node(at: ["plugins", v2PluginID]) != nil
            let v3HasRuntimes = doc.node(at: ["plugins", v3PluginID, "containerd", "runtimes"]) != nil
            return !hasV2 || v3HasRuntimes ? v3PluginID : v2PluginID
        }
    }

    static func runtimesPath(pluginID: String) -> [String] {
        ["plugins", pluginID, "containerd", "runtimes"]
    }
}
