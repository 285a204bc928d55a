import Foundation
import Testing
import WasmOperator

/// The installer writes its report with NodeInstaller's strict type and the operator reads it with
/// WasmOperator's lenient one: these tests pin that what one writes, the other reads the same way.
@Suite("Installer report wire format")
struct InstallerReportWireFormatTests {
    /// Every (operation, result) pair the installer's flows emit.
    static let emittedPairs: [(String, String)] = [
        ("install", "installed"), ("install", "unchanged"), ("install", "failed"), ("install", "unsupported"),
        ("uninstall", "uninstalled"), ("uninstall", "failed"), ("uninstall", "unsupported"),
        ("status", "installed"), ("status", "drifted"), ("status", "absent"), ("status", "failed"),
        ("status", "unsupported"),
    ]

    @Test("every field the installer writes reaches the operator unchanged", arguments: emittedPairs)
    func fieldsSurviveTheTrip(operation: String, result: String) throws {
        var written = WrittenInstallerReport(operation: operation, result: try #require(WrittenResult(rawValue: result)))
        written.restarted = operation != "status"
        written.rolledBack = result == "failed"
        written.distro = "k3s"
        written.containerdVersion = "1.7.27-k3s1"
        written.configPath = "/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl"
        written.configSchema = 2
        written.machineID = "0123456789abcdef0123456789abcdef"
        written.runtimes = [WrittenRuntime(
            name: "wasmtime", handler: "wasmtime", runtimeType: "io.containerd.wasmtime.v1",
            path: "/opt/kwasm/bin/containerd-shim-wasmtime-v1", sha256: String(repeating: "ab", count: 32),
            version: "0.6.0")]
        written.backupPath = "/var/lib/kwasm/backup/config.toml.tmpl"
        written.drift = result == "drifted" ? ["containerd-shim-wasmtime-v1: sha256 differs"] : nil
        written.error = result == "failed" || result == "unsupported"
            ? WrittenError(code: "ConfigParseError", message: "line 3: expected '='") : nil
        written.durationMs = 812

        let terminationMessage = String(decoding: written.encoded(), as: UTF8.self)
        let read = try InstallerReport.decode(terminationMessage: terminationMessage)

        #expect(read.operation.rawValue == operation)
        #expect(read.result.rawValue == result)
        #expect(read.restarted == written.restarted)
        #expect(read.rolledBack == written.rolledBack)
        #expect(read.distro == written.distro)
        #expect(read.containerdVersion == written.containerdVersion)
        #expect(read.configPath == written.configPath)
        #expect(read.configSchema == written.configSchema)
        #expect(read.machineID == written.machineID)
        #expect(read.backupPath == written.backupPath)
        #expect(read.drift == written.drift)
        #expect(read.error?.code == written.error?.code)
        #expect(read.error?.message == written.error?.message)
        #expect(read.durationMs == written.durationMs)
        let runtime = try #require(read.runtimes?.first)
        #expect(runtime == InstallerReport.Runtime(
            name: "wasmtime", handler: "wasmtime", runtimeType: "io.containerd.wasmtime.v1",
            path: "/opt/kwasm/bin/containerd-shim-wasmtime-v1", sha256: String(repeating: "ab", count: 32),
            version: "0.6.0"))
    }

    @Test("the operator counts a report as success exactly when the installer exits 0", arguments: emittedPairs)
    func successAgreesWithExitCode(operation: String, result: String) throws {
        let written = WrittenInstallerReport(operation: operation, result: try #require(WrittenResult(rawValue: result)))
        let read = try InstallerReport.decode(terminationMessage: String(decoding: written.encoded(), as: UTF8.self))
        #expect(read.succeeded == (written.exitCode == 0),
                "installer exits \(written.exitCode) for \(operation)/\(result), operator says succeeded=\(read.succeeded)")
    }

    @Test("every result the installer can write is one the operator reads")
    func everyWrittenResultIsKnownToTheOperator() {
        for result in WrittenResult.allCases {
            #expect(InstallerReport.Result(rawValue: result.rawValue) != nil, "the operator does not know \(result.rawValue)")
        }
    }

    @Test("a report shortened to fit the termination message still decodes")
    func shortenedReportDecodes() throws {
        var written = WrittenInstallerReport(operation: "install", result: .failed)
        written.error = WrittenError(code: "RestartFailed", message: String(repeating: "journal line\n", count: 2_000))
        written.drift = (0..<400).map { "file \($0) differs from the catalog" }
        let data = written.encoded()
        #expect(data.count <= 4000)
        let read = try InstallerReport.decode(terminationMessage: "log line before the report\n" + String(decoding: data, as: UTF8.self))
        #expect(read.result == .failed)
        #expect(read.error?.code == "RestartFailed")
    }
}
