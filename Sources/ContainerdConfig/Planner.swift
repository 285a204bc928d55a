/// Implementation behind ``ConfigEngine``.
struct Planner {
    let snapshot: HostConfigSnapshot

    func install(definitions: [RuntimeDefinition], options: InstallOptions) throws(ConfigError) -> ConfigPlan {
        throw ConfigError(.unsupportedLayout, reason: "not implemented yet")
    }

    func uninstall(backup: [String: [UInt8]]) throws(ConfigError) -> ConfigPlan {
        throw ConfigError(.unsupportedLayout, reason: "not implemented yet")
    }

    func inspect(definitions: [RuntimeDefinition]) -> [Drift] {
        []
    }
}
