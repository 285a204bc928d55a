/// What an installer Job does; also the `kwasm-node-installer` subcommand it runs.
public enum InstallerOperation: String, Sendable, Codable, CaseIterable {
    case install, uninstall, status

    /// Install and uninstall restart containerd, so they take a rollout slot; status does not.
    public var needsRolloutSlot: Bool { self != .status }
}
