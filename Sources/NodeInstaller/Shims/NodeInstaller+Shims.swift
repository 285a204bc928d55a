import ContainerdConfig
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The host side of shim resolution: what the running containerd's lookup sees under `--host-root`, the links
/// that make shims findable on a containerd that ignores `runtime_path`, and their byte-exact removal.
extension NodeInstaller {
    /// The containerd serving `socketPath`, as its shim lookup works (nil when it does not answer or its
    /// `/proc` entry is not visible, e.g. without `hostPID`).
    func runningContainerd(socketPath: String) async -> ContainerdProcess? {
        guard let identity = ContainerdIdentity.current(socketPath: socketPath),
              let info = try? await ContainerdAPI(socketPath: socketPath).version(timeout: .seconds(3)),
              let version = ContainerdVersion(parsing: info.version)
        else { return nil }
        return ContainerdProcess.inspect(pid: identity.pid, version: version)
    }

    /// A lookup that checks host paths under the host root (symlinks followed inside it).
    func shimLookup(_ process: ContainerdProcess) -> ShimLookup {
        let paths = self.paths
        return ShimLookup(process: process) { hostPath in
            guard let resolved = try? paths.resolve(hostPath) else { return .missing }
            var info = stat()
            guard stat(resolved, &info) == 0 else { return .missing }
            let regular = (info.st_mode & S_IFMT) == S_IFREG
            return regular && info.st_mode & 0o111 != 0 ? .executable : .other
        }
    }

    func shimLinkPlanner(_ process: ContainerdProcess) -> ShimLinkPlanner {
        let paths = self.paths
        return ShimLinkPlanner(
            lookup: shimLookup(process),
            linkTarget: { hostPath in
                let resolvedParent = paths.path((hostPath as NSString).deletingLastPathComponent)
                return try? FileManager.default.destinationOfSymbolicLink(atPath: resolvedParent + "/" + (hostPath as NSString).lastPathComponent)
            },
            writableDirectory: { hostPath in
                guard let resolved = try? paths.resolve(hostPath) else { return false }
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), isDirectory.boolValue else { return false }
                var fs = statvfs()
                guard statvfs(resolved, &fs) == 0, fs.f_flag & UInt(ST_RDONLY) == 0 else { return false }
                return access(resolved, W_OK) == 0
            })
    }

    /// The shim runtimes among `entries`, with where we install them.
    func shims(_ entries: [RuntimeCatalog.Entry]) -> [ShimLinkPlanner.Shim] {
        entries.filter { $0.kind == "shim" }.compactMap { entry in
            entry.files.first.map { ShimLinkPlanner.Shim(runtimeType: entry.runtimeType, installedPath: binaryHostPath($0)) }
        }
    }

    /// The link is there and points at our binary (a link we cannot resolve is not).
    func isInPlace(_ link: ShimLink) -> Bool {
        guard let parent = try? paths.resolve((link.link as NSString).deletingLastPathComponent) else { return false }
        let path = parent + "/" + (link.link as NSString).lastPathComponent
        return (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == link.target
    }

    /// Creates the planned links that are not there yet (each noted in `journal`, so a rollback removes it).
    func createShimLinks(_ links: [ShimLink], journal: inout RollbackJournal) throws {
        for link in links {
            let parent = try paths.resolve((link.link as NSString).deletingLastPathComponent)
            let path = parent + "/" + (link.link as NSString).lastPathComponent
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == link.target { continue }
            try journal.rememberFile(path)
            guard symlink(link.target, path) == 0 else { throw InstallerError.io("cannot link shim", path: path, errno: errno) }
        }
    }

    /// Removes our links that still point where we put them; returns the ones someone changed (left in place).
    func removeShimLinks(_ links: [ShimLink]) -> [String] {
        var kept: [String] = []
        for link in links {
            let path = paths.path((link.link as NSString).deletingLastPathComponent) + "/" + (link.link as NSString).lastPathComponent
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == link.target { unlink(path) } else { kept.append(link.link) }
        }
        return kept
    }

    /// After a successful install: drops recorded links no longer wanted (runtimes deselected, containerd upgraded
    /// to one that honours runtime_path); returns what the state should record.
    func reconcileShimLinks(recorded: [ShimLink]?, wanted: [ShimLink]) -> [ShimLink]? {
        let stale = (recorded ?? []).filter { !wanted.contains($0) }
        _ = removeShimLinks(stale)
        return wanted.isEmpty ? nil : wanted
    }

    /// The handlers are usable by the running containerd (``HandlerUsability``); returns how that was shown.
    func verifyUsable(_ entries: [RuntimeCatalog.Entry], verifier: RuntimeVerifier, host: Host) async throws -> String {
        let paths = self.paths
        let process = await runningContainerd(socketPath: host.socketPath)
        let usability = HandlerUsability(api: verifier.api, lookup: process.map(shimLookup)) { hostPath in
            guard let resolved = try? paths.resolve(hostPath) else { return nil }
            return try? FileDigest.sha256(path: resolved)
        }
        var configFiles: [[UInt8]] = []
        for hostPath in host.layout.pathsToRead {
            if let bytes = try? AtomicFile.read(try paths.resolve(hostPath)) { configFiles.append(bytes) }
        }
        return try await verifier.verifyUsable(entries, usability: usability, installedPath: binaryHostPath, configFiles: configFiles)
    }
}

extension ShimLink {
    /// `recorded` plus the `planned` links it lacks (a crash after linking must not forget a link).
    static func merged(_ recorded: [ShimLink]?, _ planned: [ShimLink]) -> [ShimLink]? {
        let all = (recorded ?? []) + planned.filter { !(recorded ?? []).contains($0) }
        return all.isEmpty ? nil : all
    }
}
