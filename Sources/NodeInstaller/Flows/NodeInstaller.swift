import ContainerdConfig
import Foundation
import Logging

/// Runs `install`, `uninstall` and `status` against a host mounted at `--host-root`, and always ends with a
/// report (contracts.md) instead of throwing.
public struct NodeInstaller: Sendable {
    public enum Operation: String, Sendable { case install, uninstall, status }

    public var options: InstallerOptions
    let paths: HostPaths
    let probe: HostProbe
    var logger: Logger

    public init(options: InstallerOptions, logger: Logger = Logger(label: "kwasm-node-installer")) {
        self.options = options
        paths = HostPaths(root: options.hostRoot)
        probe = HostProbe(paths: paths)
        self.logger = logger
    }

    /// Runs one operation and returns its report (never throws).
    public func run(_ operation: Operation) async -> InstallerReport {
        let started = Date()
        var report = InstallerReport(operation: operation.rawValue, result: .failed)
        report.dryRun = options.dryRun
        var timings = InstallerReport.Timings()
        do {
            // Every option checked before the host is looked at; the flows see only normalized options.
            var installer = self
            installer.options = try options.validated(for: operation)
            switch operation {
            case .install: try await installer.install(&report, &timings)
            case .uninstall: try await installer.uninstall(&report, &timings)
            case .status: try await installer.status(&report)
            }
        } catch let error as InstallerError {
            report.result = error.code.isUnsupported ? .unsupported : .failed
            report.error = .init(code: error.code.rawValue, message: error.message)
        } catch let error as ConfigError {
            let code = InstallerError.Code(rawValue: error.reportCode)
            report.result = code.isUnsupported ? .unsupported : .failed
            report.error = .init(code: code.rawValue, message: error.description)
        } catch {
            report.result = .failed
            report.error = .init(code: InstallerError.Code.ioError.rawValue, message: "\(error)")
        }
        report.durationMs = Int(Date().timeIntervalSince(started) * 1000)
        if operation != .status {
            timings.restMs = max(0, report.durationMs - timings.restartMs - timings.verifyMs)
            report.timings = timings
        }
        return report
    }

    // MARK: shared steps

    /// The host as found: distro, layout, machine-id; refuses hosts we must not touch.
    struct Host {
        var distro: Distro
        var layout: DistroLayout
        var machineID: String?
        var socketPath: String
    }

    func inspectHost(_ report: inout InstallerReport) throws -> Host {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: options.hostRoot, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InstallerError(.invalidArgument, "--host-root \(options.hostRoot) is not a directory")
        }
        let distro = options.distro ?? probe.detectDistro()
        var layout = DistroLayout.standard(distro)
        if let config = options.config { layout.mainConfigPath = config }
        report.distro = distro.rawValue
        report.configPath = layout.mainConfigPath
        let machineID = probe.machineID()
        report.machineID = machineID
        if let expected = options.expectedMachineID, !expected.isEmpty, expected != machineID {
            throw InstallerError(.machineIDMismatch, "host machine-id is \(machineID ?? "unreadable"), expected \(expected): this is not the node the Job was created for")
        }
        guard probe.hasContainerd(distro: distro, socket: options.containerdSocket, configPaths: layout.pathsToRead) else {
            throw InstallerError(.containerdNotFound, "no containerd on this host (no binary, config or socket at \(options.containerdSocket))")
        }
        return Host(distro: distro, layout: layout, machineID: machineID, socketPath: paths.path(options.containerdSocket))
    }

    /// containerd's version: from the running daemon when it answers, else from the host binary.
    func containerdVersion(socketPath: String, distro: Distro) async -> String? {
        if let info = try? await ContainerdAPI(socketPath: socketPath).version(timeout: .seconds(3)),
           let version = ContainerdVersion(parsing: info.version) {
            return version.description
        }
        return probe.containerdVersionFromBinary(distro: distro)
    }

    /// The engine's input: the bytes of every file the layout names (host paths as keys).
    func snapshot(_ host: Host, version: String?) throws -> HostConfigSnapshot {
        var files: [String: [UInt8]?] = [:]
        for hostPath in host.layout.pathsToRead {
            files[hostPath] = try AtomicFile.read(try paths.resolve(hostPath))
        }
        let mainMissing = (files[host.layout.mainConfigPath] ?? nil) == nil
        return HostConfigSnapshot(
            layout: host.layout, files: files,
            defaultConfig: mainMissing ? probe.containerdDefaultConfig(distro: host.distro) : nil,
            containerdVersion: version.flatMap { ContainerdVersion(parsing: $0) }
        )
    }

    func restarter(_ host: Host) -> ContainerdRestarter {
        ContainerdRestarter(strategy: options.restart, command: options.restartCommand, distro: host.distro, paths: paths)
    }

    func lock() throws -> HostLock {
        try HostLock.acquire(at: try paths.resolveParent("/run/lock/kwasm.lock"), timeout: options.lockTimeout)
    }

    func statePath() throws -> String {
        try paths.resolveParent(InstallState.hostPath(installDir: options.installDir))
    }

    /// state.json as far as it can be trusted (see ``InstallState/trusted(installDir:configPaths:)``).
    func loadState(_ host: Host) throws -> InstallState? {
        InstallState.load(from: try statePath())?.normalizedPaths()
            .trusted(installDir: options.installDir, configPaths: host.layout.pathsToRead)
    }

    /// The backup of the config at host path `configPath`.
    func backup(of configPath: String) throws -> ConfigBackup {
        ConfigBackup(path: try paths.resolveParent(InstallerFiles.backup(ofConfig: configPath)))
    }

    func binaryHostPath(_ file: RuntimeCatalog.File) -> String {
        InstallerFiles.binary(file, installDir: options.installDir)
    }

    func reportRuntimes(_ entries: [RuntimeCatalog.Entry]) -> [InstallerReport.Runtime] {
        entries.map { entry in
            InstallerReport.Runtime(name: entry.name, handler: entry.handler, runtimeType: entry.runtimeType,
                                    path: entry.files.first.map(binaryHostPath) ?? "",
                                    sha256: entry.files.first?.sha256 ?? "", version: entry.version)
        }
    }

    /// Test hook (`KWASM_TEST_CRASH_AFTER`): die like a pod killed mid-way.
    func crashIfRequested(after step: String) {
        if options.crashAfter == step {
            logger.warning("KWASM_TEST_CRASH_AFTER=\(step): killing myself")
            kill(getpid(), SIGKILL)
        }
    }

    static func timed<T>(_ total: inout Int, _ body: () async throws -> T) async rethrows -> T {
        let start = Date()
        defer { total += Int(Date().timeIntervalSince(start) * 1000) }
        return try await body()
    }
}
