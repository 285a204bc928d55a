import ContainerdConfig
import Foundation
import Testing
import TOMLKit

/// Shared fixtures and helpers for the engine tests.
enum Support {
    /// `<repo>/../shared/fixtures/containerd` (CI clones the repo with `shared/` beside it).
    static let fixtureDirectory: String = {
        let file = URL(fileURLWithPath: #filePath)
        return file.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/fixtures/containerd").path
    }()

    /// Every fixture file (relative path), SOURCES.md excluded. Fails loudly when the directory is missing.
    static func allFixtures() throws -> [String] {
        let fm = FileManager.default
        guard fm.fileExists(atPath: fixtureDirectory) else {
            Issue.record("fixture directory \(fixtureDirectory) is missing: clone the shared fixtures beside the repo")
            throw CocoaError(.fileNoSuchFile)
        }
        let all = try fm.subpathsOfDirectory(atPath: fixtureDirectory).filter { path in
            var isDir: ObjCBool = false
            _ = fm.fileExists(atPath: fixtureDirectory + "/" + path, isDirectory: &isDir)
            return !isDir.boolValue && path != "SOURCES.md"
        }
        return all.sorted()
    }

    static func fixture(_ name: String) throws -> [UInt8] {
        let path = fixtureDirectory + "/" + name
        guard let data = FileManager.default.contents(atPath: path) else {
            Issue.record("fixture \(path) is missing")
            throw CocoaError(.fileNoSuchFile)
        }
        return Array(data)
    }

    static let spin = RuntimeDefinition.shim(name: "spin", runtimeType: "io.containerd.spin.v2",
                                             shimPath: "/opt/kwasm/bin/containerd-shim-spin-v2")
    static let wasmtime = RuntimeDefinition.shim(name: "wasmtime", runtimeType: "io.containerd.wasmtime.v1",
                                                 shimPath: "/opt/kwasm/bin/containerd-shim-wasmtime-v1")
    static let crun = RuntimeDefinition.ociBinary(name: "crun-wasmedge", handler: "crun", binaryPath: "/opt/kwasm/bin/crun")
    static let standardDefinitions = [spin, wasmtime, crun]

    static var defaults16: [UInt8] { get throws { try fixture("containerd-config-default/containerd-1.6-default.toml") } }
    static var defaults22: [UInt8] { get throws { try fixture("containerd-config-default/containerd-2.2.4-default.toml") } }

    /// A snapshot with `bytes` as the distro's main file (for k3s/RKE2: the template, when `asTemplate`).
    static func snapshot(_ distro: Distro, main: [UInt8]?, defaults: [UInt8]? = nil,
                         version: String? = nil, extra: [String: [UInt8]] = [:]) -> HostConfigSnapshot {
        let layout = DistroLayout.standard(distro)
        var files: [String: [UInt8]?] = [:]
        for path in layout.pathsToRead { files[path] = .some(nil) }
        if let main { files[layout.mainConfigPath] = .some(main) }
        for (path, bytes) in extra { files[path] = .some(bytes) }
        return HostConfigSnapshot(layout: layout, files: files, defaultConfig: defaults,
                                  containerdVersion: version.flatMap(ContainerdVersion.init(parsing:)))
    }

    /// The host after the installer executed `plan`.
    static func applying(_ plan: ConfigPlan, to snapshot: HostConfigSnapshot) -> HostConfigSnapshot {
        var next = snapshot
        for file in plan.files { next.files[file.path] = .some(file.newContents) }
        return next
    }

    /// Files that exist, by path (for comparing hosts).
    static func existing(_ snapshot: HostConfigSnapshot) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for (path, bytes) in snapshot.files { if let bytes { out[path] = bytes } }
        return out
    }

    /// Whether TOMLKit (toml++) accepts the bytes.
    static func tomlKitAccepts(_ bytes: [UInt8]) -> Bool {
        guard let text = String(validating: bytes, as: UTF8.self) else { return false }
        return (try? TOMLTable(string: text)) != nil
    }

    static func text(_ bytes: [UInt8]?) -> String { bytes.map { String(decoding: $0, as: UTF8.self) } ?? "<deleted>" }
}
