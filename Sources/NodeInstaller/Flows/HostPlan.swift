import ContainerdConfig
import Foundation

/// What a run changes on the host, decided from a ``HostReading`` alone, the way ``ConfigEngine/planInstall``
/// decides a config: pure, level-based, and empty when the host already is as asked. ``HostPlanExecutor``
/// applies it.
struct HostPlan {
    struct BinaryInstall: Equatable {
        /// Path of the asset to copy.
        var source: String
        var hostPath: String
        var file: RuntimeCatalog.File
    }

    enum Kind { case install, uninstall }

    var kind: Kind
    /// The runtimes whose handlers are verified (present after install, absent after uninstall).
    var entries: [RuntimeCatalog.Entry]
    /// Binaries whose bytes on the host differ from the catalog's.
    var binaries: [BinaryInstall] = []
    /// The shim links wanted (recorded in state.json; the preview lists them all).
    var shimLinks: [ShimLink] = []
    /// Those of ``shimLinks`` not in place yet.
    var missingShimLinks: [ShimLink] = []
    /// Config files to write or delete, in the engine's order.
    var configFiles: [PlannedFile]
    /// An earlier run wrote, and the containerd running now has not loaded it.
    var restartOwed: Bool
    /// Install: state.json as written before the first change, so a crash leaves a note (nil: nothing changes).
    var pendingState: InstallState?
    /// Uninstall: our binaries (host path → sha256 we installed), removed once containerd runs without them.
    var binariesToRemove: [(hostPath: String, sha256: String)] = []

    /// Something is written before the restart: a failure from then on is rolled back.
    var changesHost: Bool { !binaries.isEmpty || !configFiles.isEmpty }
    /// Converged: nothing to write, link, restart or remove.
    var isEmpty: Bool { !changesHost && missingShimLinks.isEmpty && !restartOwed && binariesToRemove.isEmpty }

    static func install(_ reading: HostReading, writtenAt: String) -> HostPlan {
        var binaries: [BinaryInstall] = []
        for file in reading.entries.flatMap(\.files) {
            let hostPath = InstallerFiles.binary(file, installDir: reading.installDir)
            if binaries.contains(where: { $0.hostPath == hostPath }) { continue }  // one file shared by two runtimes
            if reading.binariesOnHost[hostPath] != file.sha256 {
                binaries.append(BinaryInstall(source: reading.assets + "/" + file.path, hostPath: hostPath, file: file))
            }
        }
        let previous = reading.state
        let restartOwed = previous?.pendingRestart == true
            && (reading.containerdNow == nil || reading.containerdNow == previous?.containerdAtWrite)
        var plan = HostPlan(kind: .install, entries: reading.entries, binaries: binaries, shimLinks: reading.shimLinks,
                            missingShimLinks: reading.shimLinks.filter { !reading.shimLinksInPlace.contains($0.link) },
                            configFiles: reading.config.files, restartOwed: restartOwed)
        if plan.changesHost { plan.pendingState = pendingState(reading, binaries: binaries, writtenAt: writtenAt) }
        return plan
    }

    static func uninstall(_ reading: HostReading) -> HostPlan {
        let state = reading.state
        let restartOwed = state?.pendingRestart == true && reading.containerdNow == state?.containerdAtWrite
        let binaries = (state?.binaries ?? [:]).sorted { $0.key < $1.key }.map { (hostPath: $0.key, sha256: $0.value) }
        return HostPlan(kind: .uninstall, entries: reading.entries, configFiles: reading.config.files,
                        restartOwed: restartOwed, binariesToRemove: binaries)
    }

    /// The state before the first write: everything this run may leave behind, recorded up front.
    private static func pendingState(_ reading: HostReading, binaries: [BinaryInstall], writtenAt: String) -> InstallState {
        var state = reading.state ?? InstallState()
        state.pendingRestart = true
        state.containerdAtWrite = reading.containerdNow
        state.installDir = reading.installDir
        state.createdDirectories = Array(Set((state.createdDirectories ?? []) + reading.missingInstallDirAncestors)).sorted()
        state.writtenAt = writtenAt
        for work in binaries { state.binaries[work.hostPath] = work.file.sha256 }
        state.shimLinks = ShimLink.merged(state.shimLinks, reading.shimLinks)
        for planned in reading.config.files {
            let directory = (planned.path as NSString).deletingLastPathComponent
            if reading.missingConfigDirectories.contains(directory), !(state.createdConfigDirectories ?? []).contains(directory) {
                state.createdConfigDirectories = (state.createdConfigDirectories ?? []) + [directory]
            }
        }
        return state
    }

    /// The `--dry-run` text: config diffs, then every other change.
    var preview: String {
        var text = configFiles.map(\.diff).joined(separator: "\n")
        for work in binaries { text += "\n+ binary \(work.hostPath) (sha256 \(work.file.sha256))" }
        for link in shimLinks { text += "\n+ shim link \(link.link) -> \(link.target)" }
        if kind == .install, restartOwed { text += "\n+ restart containerd (it has not restarted since our last write)" }
        for binary in binariesToRemove { text += "\n- binary \(binary.hostPath)" }
        return text.isEmpty ? "no changes\n" : text + "\n"
    }
}
