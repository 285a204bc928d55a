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
        guard let data = FileManager.default.contents(atPath: paths.path("/etc/machine-id")) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// The distro that owns containerd, from what the host shows.
    public func detectDistro() -> Distro {
        func exists(_ hostPath: String) -> Bool { FileManager.default.fileExists(atPath: paths.path(hostPath)) }
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
        return candidates.filter { FileManager.default.isExecutableFile(atPath: paths.path($0)) }
    }

    /// Is there any sign of containerd: a binary, the config or a socket?
    public func hasContainerd(distro: Distro, socket: String, configPaths: [String]) -> Bool {
        if !containerdBinaries(distro: distro).isEmpty { return true }
        if FileManager.default.fileExists(atPath: paths.path(socket)) { return true }
        return configPaths.contains { FileManager.default.fileExists(atPath: paths.path($0)) }
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
    /// read-only mount or refuses a probe file. Leaves no file behind.
    public func checkWritable(hostDirectories: [String]) throws {
        for hostDirectory in hostDirectories {
            var directory = paths.path(hostDirectory)
            while !FileManager.default.fileExists(atPath: directory), directory.count > max(1, paths.root.count) {
                directory = (directory as NSString).deletingLastPathComponent
            }
            var fs = statvfs()
            if statvfs(directory, &fs) == 0, fs.f_flag & UInt(ST_RDONLY) != 0 {
                throw InstallerError(.immutableHost, "\(hostDirectory) is on a read-only file system (\(directory)); this host is immutable")
            }
            let probe = directory + "/.kwasm-write-probe-\(getpid())"
            let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd < 0 {
                let e = errno
                if e == EEXIST { unlink(probe); continue }
                throw InstallerError(.immutableHost, "cannot write to \(hostDirectory) (\(String(cString: strerror(e)))); this host is immutable or read-only")
            }
            close(fd)
            unlink(probe)
        }
    }
}
