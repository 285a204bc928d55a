import ContainerdConfig

/// A symlink that makes a shim findable by name: `link` (host path, in a directory the running containerd
/// searches) → `target` (the installed shim, host path).
public struct ShimLink: Codable, Sendable, Equatable {
    public var link: String
    public var target: String

    public init(link: String, target: String) {
        self.link = link
        self.target = target
    }
}

/// Decides which shim links a containerd that ignores `runtime_path` (1.6.0–1.6.20, 1.7.0) needs: none when it
/// already resolves the shim name to our binary; otherwise one in the first directory it searches that we may
/// write to. Pure: the host is asked through the closures.
public struct ShimLinkPlanner: Sendable {
    /// A shim to make findable: its `runtime_type` and where we installed it.
    public struct Shim: Sendable, Equatable {
        public var runtimeType: String
        public var installedPath: String

        public init(runtimeType: String, installedPath: String) {
            self.runtimeType = runtimeType
            self.installedPath = installedPath
        }
    }

    public var lookup: ShimLookup
    /// Where a symlink at a host path points (nil: not a symlink).
    public var linkTarget: @Sendable (String) -> String?
    /// Is this host directory there and writable by us (not on a read-only mount)?
    public var writableDirectory: @Sendable (String) -> Bool

    public init(lookup: ShimLookup, linkTarget: @escaping @Sendable (String) -> String?,
                writableDirectory: @escaping @Sendable (String) -> Bool) {
        self.lookup = lookup
        self.linkTarget = linkTarget
        self.writableDirectory = writableDirectory
    }

    /// Package-managed or read-only-by-design directories: never written, even when writable here.
    public static func isSystemDirectory(_ directory: String) -> Bool {
        let system: Set = ["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/lib", "/usr/lib", "/usr/libexec"]
        if system.contains(directory) { return true }
        if directory.hasPrefix("/snap/") { return true }
        return directory.hasPrefix("/usr/") && !directory.hasPrefix("/usr/local/")
    }

    /// k3s and RKE2 unpack a new `data/<hash>/bin` on every upgrade: a link there is lost with the next version.
    public static func isReplacedOnUpgrade(_ directory: String) -> Bool {
        directory.hasPrefix("/var/lib/rancher/") && directory.contains("/data/")
    }

    /// The directories containerd searches by name that we may link into, in its order, except that
    /// directories replaced on upgrade come last (any of them works: the shim's name is found in the first
    /// directory that has it, and the planner has checked that none has it yet).
    public func candidateDirectories() -> [String] {
        var seen: Set<String> = []
        let usable = (lookup.process.path + [lookup.process.binaryDirectory]).filter { directory in
            directory.hasPrefix("/") && seen.insert(directory).inserted && !Self.isSystemDirectory(directory) && writableDirectory(directory)
        }
        return usable.filter { !Self.isReplacedOnUpgrade($0) } + usable.filter(Self.isReplacedOnUpgrade)
    }

    /// The links `shims` need (empty when containerd honours `runtime_path` or finds each one already).
    public func plan(_ shims: [Shim]) throws -> [ShimLink] {
        guard !lookup.process.honoursRuntimePath else { return [] }
        var links: [ShimLink] = []
        for shim in shims {
            guard let name = ShimLookup.binaryName(runtimeType: shim.runtimeType) else { continue }
            switch lookup.resolve(runtimeType: shim.runtimeType, runtimePath: nil) {
            case .found(let path, let how):
                if path == shim.installedPath { continue }
                if linkTarget(path) == shim.installedPath {
                    links.append(ShimLink(link: path, target: shim.installedPath))
                    continue
                }
                throw InstallerError(.runtimeConflict, "containerd \(lookup.process.version) ignores runtime_path and would run \(path) "
                    + "(found via \(how)) for runtime_type \(shim.runtimeType), not our \(shim.installedPath); remove or rename it")
            case .notFound(_, let searched):
                guard let directory = candidateDirectories().first else {
                    throw InstallerError(.immutableHost, "containerd \(lookup.process.version) ignores runtime_path, so \(name) must be in a "
                        + "directory it searches (\(searched.joined(separator: ", "))), and none of them is writable outside "
                        + "package-managed /usr; upgrade containerd to 1.6.21+/1.7.1+ or make one of them writable")
                }
                links.append(ShimLink(link: ShimLookup.join(directory, name), target: shim.installedPath))
            }
        }
        return links
    }
}
