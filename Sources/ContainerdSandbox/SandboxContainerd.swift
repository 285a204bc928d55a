import Foundation

/// Which containerd a ``ContainerdSandbox`` runs: Debian's 1.6 (`/usr/bin`) or a 2.x release from
/// ``TestAssets`` (its own `ctr` and `containerd-shim-runc-v2` next to it, like a tarball install).
public struct SandboxContainerd: Sendable, Equatable, CustomStringConvertible {
    /// The `containerd` binary.
    public var binary: String
    /// The matching `ctr`.
    public var ctr: String
    /// `true` for 2.x, whose `config default` writes `version = 3` with `io.containerd.cri.v1.*` plugins.
    public var usesSchema3: Bool
    /// `true` when its default config should import `conf.d/*.toml` drop-ins (2.2, as distro packages of 2.x ship).
    public var importsDropIns: Bool
    public var description: String

    /// Debian 12's containerd 1.6.20.
    public static let debian = SandboxContainerd(binary: "/usr/bin/containerd", ctr: "/usr/bin/ctr", usesSchema3: false,
                                                 importsDropIns: false, description: "containerd 1.6 (Debian)")

    /// containerd 2.0.11 or 2.2.7 from the test assets.
    public static func release(_ release: TestAssets.ContainerdRelease, assets: TestAssets) -> SandboxContainerd {
        SandboxContainerd(binary: assets.containerd(release), ctr: assets.ctr(release), usesSchema3: true,
                          importsDropIns: release == .v2_2, description: release.rawValue)
    }

    /// The directory of the binary: containerd looks for shims there after its `PATH`.
    public var binaryDirectory: String { (binary as NSString).deletingLastPathComponent }

    /// The `PATH` containerd runs with: a systemd unit's default, preceded by the release's own directory for a
    /// tarball install (its runc shim lives there). Never the installer's install dir: shims must be found the
    /// way the real containerd finds them.
    public var path: String {
        let system = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return binaryDirectory == "/usr/bin" ? system : binaryDirectory + ":" + system
    }

    /// Debian's 1.6 plus, when the assets are there, 2.0.11 and 2.2.7.
    public static func all(assets: TestAssets?) -> [SandboxContainerd] {
        [.debian] + (assets.map { assets in TestAssets.ContainerdRelease.allCases.map { release($0, assets: assets) } } ?? [])
    }
}
