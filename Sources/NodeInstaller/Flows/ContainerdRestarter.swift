import ContainerdConfig
import Foundation

/// Restarts the host's containerd the way its distro expects. Never SIGHUP: containerd exits on it.
public struct ContainerdRestarter: Sendable {
    public var strategy: RestartStrategy
    public var command: String?
    public var distro: Distro
    public var paths: HostPaths

    /// `nsenter` into the host's namespaces (the Job runs with `hostPID`), so `systemctl` talks to the host's systemd.
    /// The target is PID 1; tests point `KWASM_HOST_PID` at a process of their own (a sandbox cannot enter PID 1).
    static var hostNamespaces: [String] {
        let pid = ProcessInfo.processInfo.environment["KWASM_HOST_PID"].flatMap { Int32($0) }.flatMap { $0 > 0 ? $0 : nil } ?? 1
        return ["-t", "\(pid)", "-m", "-u", "-i", "-n", "-p", "--"]
    }

    /// The strategy `auto` resolves to on this host.
    public func resolvedStrategy() throws -> RestartStrategy {
        guard strategy == .auto else { return strategy }
        switch distro {
        case .k3s: return .k3s
        case .rke2: return .rke2
        case .microk8s: return .microk8s
        case .k0s: return .k0s
        case .default:
            if paths.exists("/run/systemd/system") { return .systemd }
            if command != nil { return .command }
            throw InstallerError(.restartFailed, "cannot pick a restart strategy: the host shows no systemd; pass --restart")
        }
    }

    static let missingCommand = InstallerError(.invalidArgument, "--restart command needs --restart-command")

    /// Refuses, before anything is written, a strategy that could not restart (today: `command` without one).
    public func validate() throws {
        if try resolvedStrategy() == .command, command?.isEmpty ?? true { throw Self.missingCommand }
    }

    /// Whether the resolved strategy restarts anything (k0s and none do not).
    public func restarts() throws -> Bool {
        let s = try resolvedStrategy()
        return s != .none && s != .k0s
    }

    /// The systemd unit that owns containerd.
    public func unit(for strategy: RestartStrategy) -> String {
        switch strategy {
        case .k3s: return firstActive(["k3s", "k3s-agent"])
        case .rke2: return firstActive(["rke2-server", "rke2-agent"])
        case .microk8s: return "snap.microk8s.daemon-containerd"
        default: return "containerd"
        }
    }

    private func firstActive(_ units: [String]) -> String {
        for unit in units {
            if let result = try? ProcessRunner.run("/usr/bin/nsenter", Self.hostNamespaces + ["systemctl", "is-active", "--quiet", unit], timeout: 10),
               result.status == 0 {
                return unit
            }
        }
        for unit in units where paths.exists("/etc/systemd/system/\(unit).service")
            || paths.exists("/usr/lib/systemd/system/\(unit).service") {
            return unit
        }
        return units[0]
    }

    /// Restarts containerd; throws `RestartFailed` with the tool's output.
    public func restart() throws {
        let s = try resolvedStrategy()
        let result: ProcessRunner.Result
        switch s {
        case .none, .k0s:
            return
        case .command:
            guard let command, !command.isEmpty else { throw Self.missingCommand }
            result = try ProcessRunner.run("/bin/sh", ["-c", command], timeout: 180)
        case .systemd, .k3s, .rke2, .microk8s:
            result = try ProcessRunner.run("/usr/bin/nsenter", Self.hostNamespaces + ["systemctl", "restart", unit(for: s)], timeout: 180)
        case .auto:
            preconditionFailure("auto is resolved above")
        }
        guard result.status == 0 else {
            throw InstallerError(.restartFailed, "restart (\(s.rawValue)) exited \(result.status): \(result.output.suffix(600))")
        }
    }

    /// containerd's own last log lines: from `logFile` (a host path) when given, else from the host journal.
    public func recentLogLines(logFile: String?, count: Int = 15) -> String {
        if let logFile, let data = HostFile.tail(paths.path(logFile), count: 64 << 10) {
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
            return lines.suffix(count).joined(separator: "\n")
        }
        guard let s = try? resolvedStrategy(), [.systemd, .k3s, .rke2, .microk8s].contains(s),
              let result = try? ProcessRunner.run("/usr/bin/nsenter", Self.hostNamespaces
                  + ["journalctl", "-u", unit(for: s), "-n", "\(count)", "--no-pager", "-o", "cat"], timeout: 10),
              result.status == 0
        else { return "" }
        return result.output
    }
}
