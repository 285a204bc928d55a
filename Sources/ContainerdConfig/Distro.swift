/// The Kubernetes distribution that owns containerd on the node; it decides which host file the engine edits.
public enum Distro: String, Sendable, Hashable, CaseIterable, Codable {
    case `default`, k3s, rke2, microk8s, k0s
}

/// Host paths the engine reads and may write for one distro. The installer reads every path in
/// ``pathsToRead`` (relative to the host root) into a ``HostConfigSnapshot``.
public struct DistroLayout: Sendable, Hashable {
    /// The distro.
    public var distro: Distro
    /// The config containerd actually loads (for k3s/RKE2 the file they render on every start;
    /// for MicroK8s the template it renders from; for k0s the generated config).
    public var mainConfigPath: String
    /// k3s/RKE2: the Go template for schema ≤ 2 (`config.toml.tmpl`). MicroK8s: nil (the main path is the template).
    public var templatePath: String?
    /// k3s/RKE2 on containerd 2.x: the v3 template (`config-v3.toml.tmpl`).
    public var templateV3Path: String?
    /// Where the engine puts its drop-in file when the layout uses one (schema 3, k0s, newer k3s).
    public var dropInPath: String?

    /// Creates a layout explicitly (for tests or `--config` overrides).
    public init(distro: Distro, mainConfigPath: String, templatePath: String? = nil,
                templateV3Path: String? = nil, dropInPath: String? = nil) {
        self.distro = distro
        self.mainConfigPath = mainConfigPath
        self.templatePath = templatePath
        self.templateV3Path = templateV3Path
        self.dropInPath = dropInPath
    }

    /// The standard layout of a distro.
    public static func standard(_ distro: Distro) -> DistroLayout {
        switch distro {
        case .default:
            return DistroLayout(distro: .default, mainConfigPath: "/etc/containerd/config.toml",
                                dropInPath: "/etc/containerd/conf.d/kwasm.toml")
        case .k3s, .rke2:
            let dir = "/var/lib/rancher/\(distro.rawValue)/agent/etc/containerd"
            return DistroLayout(distro: distro, mainConfigPath: "\(dir)/config.toml",
                                templatePath: "\(dir)/config.toml.tmpl",
                                templateV3Path: "\(dir)/config-v3.toml.tmpl",
                                dropInPath: "\(dir)/config-v3.toml.d/kwasm.toml")
        case .microk8s:
            return DistroLayout(distro: .microk8s,
                                mainConfigPath: "/var/snap/microk8s/current/args/containerd-template.toml")
        case .k0s:
            return DistroLayout(distro: .k0s, mainConfigPath: "/etc/k0s/containerd.toml",
                                dropInPath: "/etc/k0s/containerd.d/kwasm.toml")
        }
    }

    /// Every host path whose bytes the engine wants in the snapshot (missing files are fine).
    public var pathsToRead: [String] {
        [mainConfigPath, templatePath, templateV3Path, dropInPath].compactMap { $0 }
    }
}
