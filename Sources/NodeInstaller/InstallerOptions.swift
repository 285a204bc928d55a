import ContainerdConfig

/// How the installer restarts containerd after a change.
public enum RestartStrategy: String, Sendable, CaseIterable {
    case auto, systemd, k3s, rke2, microk8s, k0s, none, command
}

/// Everything one installer run needs; every field has an environment-variable default (`KWASM_*`).
public struct InstallerOptions: Sendable {
    /// Where the host's root filesystem is mounted (`/host` in the Job).
    public var hostRoot: String
    /// The image's assets dir holding `runtimes.json` and the binaries.
    public var assets: String = "/assets"
    /// Host path of the install dir.
    public var installDir: String = "/opt/kwasm"
    /// Catalog names to install; empty = every runtime in the catalog.
    public var runtimes: [String] = []
    public var restart: RestartStrategy = .auto
    public var restartCommand: String?
    /// Host path of containerd's socket.
    public var containerdSocket: String = "/run/containerd/containerd.sock"
    /// Host path of the main config, overriding the distro's.
    public var config: String?
    /// `nil` = detect.
    public var distro: Distro?
    public var expectedMachineID: String?
    public var dryRun: Bool = false
    /// How long to wait for containerd to answer (with our handlers) after a restart.
    public var verifyTimeout: Double = 60
    /// How long to wait for the host lock.
    public var lockTimeout: Double = 120
    /// Host path of a containerd log file to quote on failure (otherwise the journal is asked).
    public var containerdLog: String?
    /// Test hook: `binaries` or `config` makes the process SIGKILL itself right after that step.
    public var crashAfter: String?

    public init(hostRoot: String) {
        self.hostRoot = hostRoot
    }

    /// Options from the environment (`KWASM_HOST_ROOT`, `KWASM_ASSETS`, …); command-line flags override them.
    public static func fromEnvironment(_ env: [String: String]) throws -> InstallerOptions {
        var options = InstallerOptions(hostRoot: env["KWASM_HOST_ROOT"] ?? "/host")
        if let v = env["KWASM_ASSETS"], !v.isEmpty { options.assets = v }
        if let v = env["KWASM_INSTALL_DIR"], !v.isEmpty { options.installDir = v }
        if let v = env["KWASM_RUNTIMES"] { options.runtimes = parseList(v) }
        if let v = env["KWASM_RESTART"], !v.isEmpty { options.restart = try parseRestart(v) }
        if let v = env["KWASM_RESTART_COMMAND"], !v.isEmpty { options.restartCommand = v }
        if let v = env["KWASM_CONTAINERD_SOCKET"], !v.isEmpty { options.containerdSocket = v }
        if let v = env["KWASM_CONFIG"], !v.isEmpty { options.config = v }
        if let v = env["KWASM_DISTRO"], !v.isEmpty { options.distro = try parseDistro(v) }
        if let v = env["KWASM_EXPECTED_MACHINE_ID"], !v.isEmpty { options.expectedMachineID = v }
        if let v = env["KWASM_DRY_RUN"] { options.dryRun = ["1", "true", "yes"].contains(v.lowercased()) }
        if let v = env["KWASM_VERIFY_TIMEOUT"], let s = Double(v) { options.verifyTimeout = s }
        if let v = env["KWASM_LOCK_TIMEOUT"], let s = Double(v) { options.lockTimeout = s }
        if let v = env["KWASM_CONTAINERD_LOG"], !v.isEmpty { options.containerdLog = v }
        if let v = env["KWASM_TEST_CRASH_AFTER"], !v.isEmpty { options.crashAfter = v }
        return options
    }

    /// The options normalized, or `InvalidArgument` before anything on the host is read or written.
    public func validated(for operation: NodeInstaller.Operation) throws -> InstallerOptions {
        var options = self
        options.installDir = try InstallDirectory.normalized(installDir)
        if restart == .command, restartCommand?.isEmpty ?? true {
            throw InstallerError(.invalidArgument, "--restart command needs --restart-command")
        }
        for name in runtimes where !RuntimeCatalog.isDNSLabel(name) {
            throw InstallerError(.invalidArgument, "--runtimes: \"\(name.prefix(80))\" is not a runtime name")
        }
        return options
    }

    public static func parseList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public static func parseRestart(_ text: String) throws -> RestartStrategy {
        guard let value = RestartStrategy(rawValue: text) else {
            throw InstallerError(.invalidArgument, "unknown restart strategy \"\(text)\" (auto|systemd|k3s|rke2|microk8s|k0s|none|command)")
        }
        return value
    }

    /// `auto` → nil (detect).
    public static func parseDistro(_ text: String) throws -> Distro? {
        if text == "auto" { return nil }
        guard let value = Distro(rawValue: text) else {
            throw InstallerError(.invalidArgument, "unknown distro \"\(text)\" (auto|default|k3s|rke2|microk8s|k0s)")
        }
        return value
    }
}

import Foundation
