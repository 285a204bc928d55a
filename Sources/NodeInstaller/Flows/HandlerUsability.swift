import ContainerdConfig
import Foundation

/// "Verified" means a pod can use the handler, not that CRI lists it. Two checks against the running containerd:
/// 1. every shim resolves, exactly as containerd's shim manager will resolve it (``ShimLookup``: its version,
///    its `PATH`, its binary dir), to the binary we installed;
/// 2. when the pod sandbox image is present locally, a probe pod sandbox (host network, no CNI) starts with each
///    handler and is removed again. Without the image (an air-gapped node that never pulled it) only 1. runs,
///    and the outcome says so.
struct HandlerUsability: Sendable {
    var api: ContainerdAPI
    /// `nil` when containerd's process is not visible (no `hostPID`): resolution cannot be checked then.
    var lookup: ShimLookup?
    /// sha256 of the file at a host path (symlinks followed inside the host root), nil when unreadable.
    var digest: @Sendable (String) -> String?

    /// Differences between what containerd will run and what we installed, per shim runtime.
    func resolutionProblems(_ entries: [RuntimeCatalog.Entry], loaded: [String: LoadedRuntime],
                            installedPath: (RuntimeCatalog.File) -> String) -> [String] {
        guard let lookup else { return [] }
        var problems: [String] = []
        for entry in entries where entry.kind == "shim" {
            guard let file = entry.files.first else { continue }
            let runtimePath = loaded[entry.handler]?.runtimePath
            switch lookup.resolve(runtimeType: entry.runtimeType, runtimePath: runtimePath) {
            case .notFound(let name, let searched):
                problems.append("containerd \(lookup.process.version) cannot start handler \(entry.handler): "
                    + "\(lookup.process.honoursRuntimePath ? "" : "it ignores runtime_path and ")finds no \(name) in \(searched.joined(separator: ", "))")
            case .found(let path, let how):
                if digest(path) != file.sha256 {
                    problems.append("containerd \(lookup.process.version) would run \(path) (via \(how)) for handler \(entry.handler), "
                        + "not our \(installedPath(file)) (sha256 differs)")
                }
            }
        }
        return problems
    }

    /// Starts and removes one probe pod sandbox per handler. Returns how the handlers were verified.
    func probePods(_ entries: [RuntimeCatalog.Entry], sandboxImage: String?) async throws -> String {
        guard let sandboxImage else {
            return "resolution-only: the pod sandbox image is unknown, no probe pod was started"
        }
        guard (try? await api.imageID(sandboxImage)) ?? nil != nil else {
            return "resolution-only: the pod sandbox image \(sandboxImage) is not present on the node, no probe pod was started"
        }
        for entry in entries {
            // A fresh uid each time: CRI reserves name+namespace+uid, and a crashed run may have left one behind.
            let config = CRIPodSandboxConfig(name: "kwasm-probe-\(entry.handler)", uid: UUID().uuidString)
            let id: String
            do {
                id = try await api.runPodSandbox(config, handler: entry.handler)
            } catch {
                throw InstallerError(.verificationFailed, "a probe pod with runtime handler \(entry.handler) did not start: \(error)")
            }
            await api.discardPodSandbox(id)
        }
        return "pod-sandbox: a probe pod started with each handler (\(entries.map(\.handler).joined(separator: ", ")))"
    }

    /// The sandbox image: what CRI reports (1.x), else what the config files pin, else the version's default.
    static func sandboxImage(reported: String?, configFiles: [[UInt8]], version: ContainerdVersion?) -> String? {
        if let reported { return reported }
        var inPinnedImages = false
        for file in configFiles {
            for raw in String(decoding: file, as: UTF8.self).split(separator: "\n") {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("[") { inPinnedImages = line.contains("pinned_images"); continue }
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { continue }
                let key = parts[0]
                if key == "sandbox_image" || key.hasSuffix("pinned_images.sandbox") || (inPinnedImages && key == "sandbox") {
                    return parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                }
            }
        }
        guard let version else { return nil }
        switch (version.major, version.minor) {
        case (1, ...6): return "registry.k8s.io/pause:3.6"
        case (1, _): return "registry.k8s.io/pause:3.8"
        case (2, 0): return "registry.k8s.io/pause:3.10"
        default: return "registry.k8s.io/pause:3.10.1"
        }
    }
}
