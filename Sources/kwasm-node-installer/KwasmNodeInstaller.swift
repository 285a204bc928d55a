import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NodeInstaller

/// Flags shared by install, uninstall and status; each falls back to its `KWASM_*` environment variable.
struct HostOptions: ParsableArguments {
    @Option(help: "Where the host's / is mounted (KWASM_HOST_ROOT).") var hostRoot: String?
    @Option(help: "Assets dir with runtimes.json (KWASM_ASSETS).") var assets: String?
    @Option(help: "Host install dir, default /opt/kwasm (KWASM_INSTALL_DIR).") var installDir: String?
    @Option(help: "Comma-separated catalog names; default: all (KWASM_RUNTIMES).") var runtimes: String?
    @Option(help: "auto|systemd|k3s|rke2|microk8s|k0s|none|command (KWASM_RESTART).") var restart: String?
    @Option(help: "Shell command for --restart command (KWASM_RESTART_COMMAND).") var restartCommand: String?
    @Option(help: "Host path of containerd's socket (KWASM_CONTAINERD_SOCKET).") var containerdSocket: String?
    @Option(help: "Host path of the containerd config (KWASM_CONFIG).") var config: String?
    @Option(help: "auto|default|k3s|rke2|microk8s|k0s (KWASM_DISTRO).") var distro: String?
    @Option(help: "Refuse unless /etc/machine-id matches (KWASM_EXPECTED_MACHINE_ID).") var expectedMachineId: String?
    @Flag(help: "Print the diff, change nothing (KWASM_DRY_RUN).") var dryRun = false

    func resolved() throws -> InstallerOptions {
        var options = try InstallerOptions.fromEnvironment(ProcessInfo.processInfo.environment)
        if let hostRoot { options.hostRoot = hostRoot }
        if let assets { options.assets = assets }
        if let installDir { options.installDir = installDir }
        if let runtimes {
            options.runtimes = InstallerOptions.parseList(runtimes)
            if options.runtimes.isEmpty {
                throw InstallerError(.invalidArgument, "--runtimes names no runtime; omit it to install every runtime in the catalog")
            }
        }
        if let restart { options.restart = try InstallerOptions.parseRestart(restart) }
        if let restartCommand { options.restartCommand = restartCommand }
        if let containerdSocket { options.containerdSocket = containerdSocket }
        if let config { options.config = config }
        if let distro { options.distro = try InstallerOptions.parseDistro(distro) }
        if let expectedMachineId { options.expectedMachineID = expectedMachineId }
        if dryRun { options.dryRun = true }
        return options
    }
}

/// Prints the report, copies it to the termination log, exits with the contract's code.
func finish(_ report: InstallerReport) -> Never {
    let data = report.encoded()
    FileHandle.standardOutput.write(data + Data("\n".utf8))
    if FileManager.default.fileExists(atPath: "/dev/termination-log"),
       let handle = FileHandle(forWritingAtPath: "/dev/termination-log") {
        handle.write(data)
        try? handle.close()
    }
    exit(report.exitCode)
}

/// Runs one operation and ends the process with its report. Not named `run`: inside a command's own `run()`
/// that name resolves to the method itself.
func runOperation(_ operation: NodeInstaller.Operation, _ host: HostOptions) async -> Never {
    do {
        let options = try host.resolved()
        finish(await NodeInstaller(options: options).run(operation))
    } catch let error as InstallerError {
        var report = InstallerReport(operation: operation.rawValue, result: .failed)
        report.error = .init(code: error.code.rawValue, message: error.message)
        finish(report)
    } catch {
        var report = InstallerReport(operation: operation.rawValue, result: .failed)
        report.error = .init(code: "InvalidArgument", message: "\(error)")
        finish(report)
    }
}

struct Install: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Install wasm runtimes and verify containerd loaded them.")
    @OptionGroup var host: HostOptions
    func run() async throws { await runOperation(.install, host) }
}

struct Uninstall: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove what install added, in the safe order.")
    @OptionGroup var host: HostOptions
    func run() async throws { await runOperation(.uninstall, host) }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Report what is installed and any drift; changes nothing.")
    @OptionGroup var host: HostOptions
    func run() async throws { await runOperation(.status, host) }
}

struct CatalogAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add or replace a runtime in runtimes.json (sha256 computed here).")
    @Option(help: "Assets dir (KWASM_ASSETS).") var assets: String?
    @Option var name: String
    @Option var handler: String?
    @Option(help: "shim|oci-binary") var kind: String
    @Option var version: String
    @Option(help: "Binary to include; repeatable.") var file: [String]
    @Option(help: "KEY=VALUE for the runtime's options table; repeatable.") var option: [String] = []
    @Option(help: "Pod annotation passed to the runtime; repeatable.") var podAnnotation: [String] = []

    func run() throws {
        var options: [String: JSONScalar] = [:]
        for pair in option {
            guard let eq = pair.firstIndex(of: "=") else { throw ValidationError("--option needs KEY=VALUE, got \(pair)") }
            options[String(pair[..<eq])] = JSONScalar.parse(String(pair[pair.index(after: eq)...]))
        }
        let assetsDir = assets ?? ProcessInfo.processInfo.environment["KWASM_ASSETS"] ?? "/assets"
        do {
            let entry = try CatalogEditor.add(.init(assets: assetsDir, name: name, handler: handler ?? name, kind: kind,
                                                    version: version, files: file, options: options,
                                                    podAnnotations: podAnnotation.isEmpty ? nil : podAnnotation))
            print("\(entry.name): \(entry.runtimeType) \(entry.files.map { "\($0.path) \($0.sha256)" }.joined(separator: ", "))")
        } catch let error as InstallerError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct CatalogList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Print runtimes.json.")
    @Option(help: "Assets dir (KWASM_ASSETS).") var assets: String?

    func run() throws {
        do {
            print(try CatalogEditor.list(assets: assets ?? ProcessInfo.processInfo.environment["KWASM_ASSETS"] ?? "/assets"), terminator: "")
        } catch let error as InstallerError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct Catalog: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage the runtime catalog.", subcommands: [CatalogAdd.self, CatalogList.self])
}

@main
struct KwasmNodeInstaller: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kwasm-node-installer",
        abstract: "Installs, verifies and removes wasm runtimes for containerd on this node.",
        subcommands: [Install.self, Uninstall.self, Status.self, Catalog.self]
    )

    /// Like the default `main`, but a command line that install, uninstall or status cannot parse still ends
    /// with the one JSON report (exit 1) the operator reads, not only usage text on stderr.
    static func main() async {
        // A large containerd config is read, parsed and rewritten as a few big arrays. glibc's default raises its
        // mmap threshold after the first big free, so later big arrays come from the heap, which is not given back:
        // a fixed threshold keeps every array of 1 MiB and more in its own mapping, returned when freed (issue 14,
        // item 13: 20–30 MB less peak RSS on a 47 MB config).
        fixMmapThreshold(1 << 20)
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            if let operation = arguments.first.flatMap(NodeInstaller.Operation.init(rawValue:)),
               exitCode(for: error) != .success {
                var report = InstallerReport(operation: operation.rawValue, result: .failed)
                report.error = .init(code: InstallerError.Code.invalidArgument.rawValue,
                                     message: fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments")
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                finish(report)
            }
            exit(withError: error)
        }
    }
}

/// glibc's `mallopt(M_MMAP_THRESHOLD, bytes)` (`<malloc.h>` is not in Swift's Glibc module, hence the lookup).
private func fixMmapThreshold(_ bytes: Int32) {
    #if canImport(Glibc)
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    let mMmapThreshold: Int32 = -3
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "mallopt") else { return }
    _ = unsafeBitCast(symbol, to: Mallopt.self)(mMmapThreshold, bytes)
    #endif
}
