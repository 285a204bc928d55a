/// Plans containerd configuration changes. Pure: bytes in (``HostConfigSnapshot``), planned writes out (``ConfigPlan``).
///
/// Rules (see docs/design and issue 3): the schema comes from the root `version` key; our runtimes
/// live in one delimited managed block appended to the file (every other byte is kept); schema 3
/// (containerd 2.x) uses a drop-in plus one duplicate-safe `imports` entry; k3s/RKE2 edit the Go
/// template (`{{ template "base" . }}` plus our block); k0s uses its drop-in directory.
public enum ConfigEngine {
    /// Plans adding (or updating) `definitions`. Applying the plan and planning again yields `changed == false`.
    /// - Throws: ``ConfigError`` (unsupported schema, parse error, runtime conflict …); nothing is planned then.
    public static func planInstall(_ snapshot: HostConfigSnapshot, definitions: [RuntimeDefinition],
                                   options: InstallOptions = InstallOptions()) throws(ConfigError) -> ConfigPlan {
        try Planner(snapshot: snapshot).install(definitions: definitions, options: options)
    }

    /// Plans removing everything the engine added: the managed block (restoring the original bytes
    /// exactly when nothing else changed), our drop-in, our `imports` entry, and files we created.
    /// - Parameter backup: original bytes by host path, as saved before the first change; used only to
    ///   restore a file whose managed block was damaged by hand. A file with a backup is never deleted.
    /// - Parameter existedBefore: host paths known (from the installer's own state) to have existed before the
    ///   first install: never deleted, whatever the managed block's metadata claims.
    public static func planUninstall(_ snapshot: HostConfigSnapshot, backup: [String: [UInt8]] = [:],
                                     existedBefore: Set<String> = []) throws(ConfigError) -> ConfigPlan {
        try Planner(snapshot: snapshot).uninstall(backup: backup, existedBefore: existedBefore)
    }

    /// Reports how the host differs from what ``planInstall(_:definitions:options:)`` would produce
    /// (empty when everything matches). Never throws: problems become drift entries.
    public static func inspect(_ snapshot: HostConfigSnapshot, definitions: [RuntimeDefinition]) -> [Drift] {
        Planner(snapshot: snapshot).inspect(definitions: definitions)
    }
}
