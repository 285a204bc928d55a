/// What the installer read from the host: the engine's only input besides the runtime definitions.
public struct HostConfigSnapshot: Sendable, Hashable {
    /// Which distro layout applies.
    public var layout: DistroLayout
    /// Bytes of each path in ``DistroLayout/pathsToRead`` (and any other relevant file), by host path.
    /// A missing key or a nil value means the file does not exist. For schema 3 also include the
    /// files the main config's `imports` globs match (e.g. every `/etc/containerd/conf.d/*.toml`):
    /// a runtime of ours defined in one of them is reported as a conflict.
    /// For uninstall, include the same paths: every file holding a kwasm-operator block is reverted.
    public var files: [String: [UInt8]?]
    /// Output of `containerd config default` on this host, used when the main config is missing
    /// (a config holding only our runtimes would drop containerd's CRI defaults).
    public var defaultConfig: [UInt8]?
    /// containerd version if known (e.g. "1.6.20", "v2.0.2").
    public var containerdVersion: ContainerdVersion?

    /// Creates a snapshot.
    public init(layout: DistroLayout, files: [String: [UInt8]?], defaultConfig: [UInt8]? = nil,
                containerdVersion: ContainerdVersion? = nil) {
        self.layout = layout
        self.files = files
        self.defaultConfig = defaultConfig
        self.containerdVersion = containerdVersion
    }

    /// Bytes of a host file, nil when missing.
    public func contents(of path: String) -> [UInt8]? {
        files[path] ?? nil
    }
}

/// A containerd release number.
public struct ContainerdVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(major: Int, minor: Int, patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses "1.6.20", "v2.0.2", "1.7.22-0ubuntu1", "containerd github.com/containerd/containerd 1.6.20~ds1 …".
    public init?(parsing text: String) {
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            var token = Substring(word)
            if token.hasPrefix("v") { token = token.dropFirst() }
            let numeric = token.prefix { $0.isNumber || $0 == "." }
            let parts = numeric.split(separator: ".").compactMap { Int($0) }
            if parts.count >= 2 {
                self.init(major: parts[0], minor: parts[1], patch: parts.count > 2 ? parts[2] : 0)
                return
            }
        }
        return nil
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (a: ContainerdVersion, b: ContainerdVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }
}
