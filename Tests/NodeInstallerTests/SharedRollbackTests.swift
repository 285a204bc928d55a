import ContainerdConfig
import Foundation
@testable import NodeInstaller
import Testing

/// Install and uninstall apply their plans through one executor and fail through one rollback: a failure after
/// writing leaves the host as it was, and anything the rollback could not put back is in the report.
/// In-process against a temporary host root: no containerd, so verification fails right after the writes.
@Suite struct SharedRollbackTests {
    /// A host whose config already carries our `demo` runtime (as after an install), for uninstall to undo.
    private func installedHost() throws -> TempHost {
        let host = try TempHost()
        try host.simpleCatalog()
        let configPath = "/etc/containerd/config.toml"
        let snapshot = HostConfigSnapshot(layout: .standard(.default), files: [configPath: Array(TempHost.config.utf8)])
        let plan = try ConfigEngine.planInstall(snapshot, definitions: [.shim(name: "demo", runtimeType: "io.containerd.demo.v1")])
        for file in plan.files {
            try host.write(file.path, String(decoding: try #require(file.newContents), as: UTF8.self))
        }
        return host
    }

    @Test(arguments: [NodeInstaller.Operation.install, .uninstall])
    func aFailedApplyLeavesTheHostByteIdentical(_ operation: NodeInstaller.Operation) async throws {
        let host = try operation == .install ? TempHost() : installedHost()
        defer { host.destroy() }
        try host.simpleCatalog()
        let before = host.hostTree
        let report = await host.run(operation)
        #expect(report.result == .failed, "\(report)")
        #expect(report.error?.code == "VerificationFailed", "\(report)")
        #expect(report.rolledBack, "\(operation) wrote, so it rolled back")
        #expect(report.error?.message.contains("; rolled back") == true, "\(report.error?.message ?? "")")
        #expect(host.changes(since: before).isEmpty, "\(operation): \(host.changes(since: before))")
    }

    /// The restart replaces the config with a directory, so neither operation can write the config back.
    @Test(arguments: [NodeInstaller.Operation.install, .uninstall])
    func whatTheRollbackCannotFixIsReported(_ operation: NodeInstaller.Operation) async throws {
        let host = try operation == .install ? TempHost() : installedHost()
        defer { host.destroy() }
        try host.simpleCatalog()
        let config = host.root + "/etc/containerd/config.toml"
        let sabotage = "[ -d '\(config)' ] || { rm -f '\(config)' && mkdir -p '\(config)/in-the-way'; }"
        let report = await host.run(operation) {
            $0.restart = .command
            $0.restartCommand = sabotage
        }
        #expect(report.result == .failed, "\(report)")
        #expect(report.rolledBack)
        #expect(report.restarted)
        let message = report.error?.message ?? ""
        #expect(message.contains("rollback problems: "), "\(operation): \(message)")
        #expect(message.contains("config.toml"), "\(operation): \(message)")
        #expect(message.contains("containerd is still unhealthy"), "\(operation): \(message)")
    }

    // MARK: the plan alone

    private func reading(binariesOnHost: [String: String], state: InstallState? = nil) throws -> HostReading {
        let file = RuntimeCatalog.File(path: "bin/containerd-shim-demo-v1", sha256: String(repeating: "a", count: 64))
        let entry = RuntimeCatalog.Entry(name: "demo", handler: "demo", kind: "shim", version: "1",
                                         runtimeType: "io.containerd.demo.v1", files: [file])
        let snapshot = HostConfigSnapshot(layout: .standard(.default), files: [:])
        return HostReading(entries: [entry], installDir: "/opt/kwasm", assets: "/assets", statePath: "/x/state.json",
                           state: state, snapshot: snapshot,
                           config: ConfigPlan(files: [], schema: 2, effectiveConfigPath: "/etc/containerd/config.toml", criPluginID: ""),
                           containerdNow: nil, binariesOnHost: binariesOnHost)
    }

    @Test func aConvergedHostPlansNothing() throws {
        let plan = HostPlan.install(try reading(binariesOnHost: ["/opt/kwasm/bin/containerd-shim-demo-v1": String(repeating: "a", count: 64)]),
                                    writtenAt: "t")
        #expect(plan.isEmpty)
        #expect(plan.pendingState == nil)
        #expect(plan.preview == "no changes\n")
    }

    @Test func aChangedBinaryIsPlannedWithItsPendingState() throws {
        let plan = HostPlan.install(try reading(binariesOnHost: [:]), writtenAt: "t")
        #expect(plan.binaries.map(\.hostPath) == ["/opt/kwasm/bin/containerd-shim-demo-v1"])
        #expect(plan.binaries.first?.source == "/assets/bin/containerd-shim-demo-v1")
        let pending = try #require(plan.pendingState)
        #expect(pending.pendingRestart)
        #expect(pending.binaries["/opt/kwasm/bin/containerd-shim-demo-v1"] == String(repeating: "a", count: 64))
        #expect(plan.preview.contains("+ binary /opt/kwasm/bin/containerd-shim-demo-v1"))
    }

    @Test func onlyAMissingShimLinkIsToBeCreated() throws {
        let installed = ["/opt/kwasm/bin/containerd-shim-demo-v1": String(repeating: "a", count: 64)]
        let link = ShimLink(link: "/usr/local/bin/containerd-shim-demo-v1", target: "/opt/kwasm/bin/containerd-shim-demo-v1")
        var converged = try reading(binariesOnHost: installed)
        converged.shimLinks = [link]
        converged.shimLinksInPlace = [link.link]
        #expect(HostPlan.install(converged, writtenAt: "t").isEmpty)
        var linkGone = converged
        linkGone.shimLinksInPlace = []
        let plan = HostPlan.install(linkGone, writtenAt: "t")
        #expect(plan.missingShimLinks == [link])
        #expect(!plan.isEmpty)
        #expect(!plan.changesHost, "a link alone is not rolled back, as before")
    }

    @Test func anUnloadedEarlierWriteIsARestartOwed() throws {
        var state = InstallState()
        state.pendingRestart = true
        let plan = HostPlan.install(try reading(binariesOnHost: ["/opt/kwasm/bin/containerd-shim-demo-v1": String(repeating: "a", count: 64)],
                                                state: state), writtenAt: "t")
        #expect(plan.restartOwed)
        #expect(!plan.changesHost)
        #expect(!plan.isEmpty)
    }

    @Test func everyInstallerFileNameIsBuiltInOnePlace() {
        #expect(InstallerFiles.backup(ofConfig: "/etc/containerd/config.toml") == "/etc/containerd/config.toml.kwasm-backup")
        #expect(InstallerFiles.config(ofBackup: "/etc/containerd/config.toml.kwasm-backup") == "/etc/containerd/config.toml")
        #expect(InstallerFiles.config(ofBackup: "/etc/passwd") == nil)
        #expect(InstallerFiles.previousBinary(of: "/h/opt/kwasm/bin/shim") == "/h/opt/kwasm/bin/.shim.kwasm-prev")
        #expect(InstallState.hostPath(installDir: "/opt/kwasm") == "/opt/kwasm/state.json")
        #expect(InstallerFiles.temporary(for: "/d/f").hasPrefix("/d/.f.kwasm-tmp-"))
    }
}
