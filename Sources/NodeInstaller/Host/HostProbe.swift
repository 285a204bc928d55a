import ContainerdConfig
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Read-only questions about the host, asked before anything is changed.
public struct HostProbe: Sendable {
    public let paths: HostPaths

    public init(paths: HostPaths) {
        self.paths = paths
    }

    /// The host's machine-id (`/etc/machine-id`), if readable.
    public func machineID() -> String? {
        // A machine-id is 32 hex digits; anything much longer is not one (and must not fill the report).
        guard let data = try? HostFile.read(paths.path("/etc/machine-id"), limit: 4096) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty || text.count > 128 ? nil : text
    }

    /// The distro that owns containerd, from what the host shows.
    public func detectDistro() -> Distro {
        func exists(_ hostPath: String) -> Bool { paths.exists(hostPath) }
        if exists("/var/lib/rancher/rke2/agent/etc/containerd") || exists("/etc/rancher/rke2") { return .rke2 }
        if exists("/var/lib/rancher/k3s/agent/etc/containerd") || exists("/etc/rancher/k3s") { return .k3s }
        if exists("/var/snap/microk8s/current/args") { return .microk8s }
        if exists("/etc/k0s") || exists("/var/lib/k0s") { return .k0s }
        return .default
    }

    /// Candidate host paths of the containerd binary for a distro.
    public func containerdBinaries(distro: Distro) -> [String] {
        var candidates = ["/usr/bin/containerd", "/usr/local/bin/containerd", "/usr/sbin/containerd"]
        switch distro {
        case .k3s, .rke2:
            candidates.insert("/var/lib/rancher/\(distro.rawValue)/data/current/bin/containerd", at: 0)
        case .microk8s:
            candidates.insert("/snap/microk8s/current/bin/containerd", at: 0)
        case .k0s:
            candidates.insert("/var/lib/k0s/bin/containerd", at: 0)
        case .default:
            break
        }
        return candidates.filter { candidate in
            guard let path = try? paths.resolve(candidate) else { return false }
            return HostFile.isRegular(path) && access(path, X_OK) == 0
        }
    }

    /// Is there any sign of containerd: a binary, the config or a socket?
    public func hasContainerd(distro: Distro, socket: String, configPaths: [String]) -> Bool {
        if !containerdBinaries(distro: distro).isEmpty { return true }
        if paths.exists(socket) { return true }
        return configPaths.contains { paths.exists($0) }
    }

    /// `containerd --version` of the host binary (the binary must run from inside the installer image).
    public func containerdVersionFromBinary(distro: Distro) -> String? {
        for binary in containerdBinaries(distro: distro) {
            if let result = try? ProcessRunner.run(paths.path(binary), ["--version"], timeout: 10), result.status == 0,
               let version = ContainerdVersion(parsing: result.output) {
                return version.description
            }
        }
        return nil
    }

    /// `containerd config default` from the host binary, for hosts without a config file.
    public func containerdDefaultConfig(distro: Distro) -> [UInt8]? {
        for binary in containerdBinaries(distro: distro) {
            if let result = try? ProcessRunner.run(paths.path(binary), ["config", "default"], timeout: 10), result.status == 0 {
                return Array(result.output.utf8)
            }
        }
        return nil
    }

    /// Fails with `ImmutableHost` when a directory we would write to (or its nearest existing ancestor) is on a
    /// read-only mount or refuses a probe file. Leaves no file behind; a dry run creates no probe file at all.
    public func checkWritable(hostDirectories: [String], dryRun: Bool = false) throws {
        for hostDirectory in hostDirectories {
            guard var directory = try? paths.resolve(hostDirectory) else {
                throw InstallerError(.ioError, "cannot resolve \(hostDirectory) inside the host root (symlink loop)")
            }
            while HostFile.type(directory) == nil, directory.count > max(1, paths.root.count) {
                directory = (directory as NSString).deletingLastPathComponent
            }
            guard HostFile.type(directory) == S_IFDIR else {
                throw InstallerError(.ioError, "\(hostDirectory) cannot be created: \(directory) is not a directory")
            }
            var fs = statvfs()
            if statvfs(directory, &fs) == 0, fs.f_flag & UInt(ST_RDONLY) != 0 {
                throw InstallerError(.immutableHost, "\(hostDirectory) is on a read-only file system (\(directory)); this host is immutable")
            }
            if dryRun {
                if access(directory, W_OK) != 0 {
                    throw InstallerError(.immutableHost, "cannot write to \(hostDirectory) (\(String(cString: strerror(errno)))); this host is immutable or read-only")
                }
                continue
            }
            let probe = InstallerFiles.writeProbe(in: directory)
            let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd < 0 {
                let e = errno
                if e == EEXIST { continue }
                throw InstallerError(.immutableHost, "cannot write to \(hostDirectory) (\(String(cString: strerror(e)))); this host is immutable or read-only")
            }
            close(fd)
            unlink(probe)
        }
    }
}
