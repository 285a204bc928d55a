@testable import ContainerdConfig
import ContainerdSandbox
import Foundation
import Testing

/// Debian's real containerd 1.6 loads every patched schema-1/2 config: the CRI plugin is `ok` and
/// `containerd config dump` shows our runtimes with the right runtime_type, runtime_path, options
/// and pod_annotations. Schema 3 (containerd 2.x) is covered by parsing only: no containerd 2.x here.
@Suite(.serialized, .enabled(if: ContainerdSandbox.isAvailable, "needs root and Debian's containerd; see the printed reason"))
struct RealContainerdTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        /// The file already holds our block (as rendered by k3s): planning must change nothing.
        var prePatched = false
        var snapshot: @Sendable () throws -> HostConfigSnapshot
        var testDescription: String { label }
    }

    static let containerdVersion = "1.6.20"

    /// Every fixture the engine edits in place for containerd 1.x, except the AKS containerd-2 file
    /// (`version = 2` with v3 plugin ids: only containerd 2.x reads those ids).
    static let cases: [Case] = FixtureTests.cases.compactMap { c -> Case? in
        guard case .inPlace = c.expected, c.fixture != "aks-ubuntu2404-containerd2-teleport/config.toml" else { return nil }
        return Case(label: c.fixture, snapshot: { try FixtureTests.snapshot(for: c) })
    } + [
        // RKE2 renders this template as-is (no Go actions, no base): it is the config containerd reads.
        Case(label: "rke2-taroko-runsc/config.toml.tmpl (as rendered)") {
            Support.snapshot(.default, main: try Support.fixture("rke2-taroko-runsc/config.toml.tmpl"))
        },
        Case(label: "no config file: created from `containerd config default`") {
            Support.snapshot(.default, main: nil, defaults: try Support.defaults16)
        },
        // k3s/RKE2 without a user template: we create `{{ template "base" . }}` + our block. Emulate
        // k3s rendering it with a base equal to the rendered config (config.toml from 1.6 defaults).
        Case(label: "k3s: created base template, rendered", prePatched: true) {
            let rendered = try Support.defaults16
            let layout = DistroLayout.standard(.k3s)
            let k3s = Support.snapshot(.k3s, main: rendered)
            let plan = try ConfigEngine.planInstall(k3s, definitions: Support.standardDefinitions)
            let template = try #require(plan.files.first { $0.path == layout.templatePath }?.newContents)
            let renderedWithBlock = String(decoding: template, as: UTF8.self)
                .replacingOccurrences(of: "{{ template \"base\" . }}\n", with: String(decoding: rendered, as: UTF8.self))
            // What containerd reads after k3s restarts; planning on it again must change nothing.
            #expect(!(try ConfigEngine.planInstall(Support.applying(plan, to: k3s), definitions: Support.standardDefinitions)).changed)
            return Support.snapshot(.default, main: Array(renderedWithBlock.utf8))
        },
        Case(label: "runc with SystemdCgroup = true is inherited") {
            Support.snapshot(.default, main: Array("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\"\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n".utf8))
        },
    ]

    /// Host specifics of the fixtures' real nodes, replaced textually (never inside our block):
    /// the debug socket goes into the sandbox; the base OCI spec the EKS NVIDIA config names is
    /// created there (from `ctr oci spec`); MicroK8s' `${…}` placeholders are rendered the way
    /// MicroK8s renders them at start (overlayfs, runc, its snap dirs).
    static func localise(_ config: String, in sandbox: ContainerdSandbox) throws -> String {
        let base = sandbox.baseDirectory
        var text = config.replacingOccurrences(of: "/var/run/docker/containerd/containerd-debug.sock", with: base + "/debug.sock")
        if text.contains("/etc/containerd/base-runtime-spec.json") {
            let spec = try CommandRunner.run("/usr/bin/ctr", ["oci", "spec"])
            guard spec.succeeded else { throw SandboxError("ctr oci spec failed: \(spec)") }
            try Data(spec.stdout.utf8).write(to: URL(fileURLWithPath: base + "/base-runtime-spec.json"))
            text = text.replacingOccurrences(of: "/etc/containerd/base-runtime-spec.json", with: base + "/base-runtime-spec.json")
        }
        return text.replacingOccurrences(of: "${SNAPSHOTTER}", with: "overlayfs")
            .replacingOccurrences(of: "${RUNTIME}", with: "runc")
            .replacingOccurrences(of: "${SNAP_DATA}", with: base + "/snap-data")
            .replacingOccurrences(of: "${SNAP}", with: base + "/snap")
    }

    /// A sandbox whose containerd reads `config` (localised into it), started and answering.
    static func startContainerd(with config: String) throws -> ContainerdSandbox {
        let sandbox = try ContainerdSandbox()
        do {
            try Data(try localise(config, in: sandbox).utf8).write(to: URL(fileURLWithPath: sandbox.configPath))
            try sandbox.start()
        } catch {
            sandbox.destroy()
            throw error
        }
        return sandbox
    }

    @Test(arguments: cases)
    func containerdLoadsThePatchedConfig(_ c: Case) throws {
        var snapshot = try c.snapshot()
        snapshot.containerdVersion = ContainerdVersion(parsing: Self.containerdVersion)
        let plan = try ConfigEngine.planInstall(snapshot, definitions: Support.standardDefinitions)
        #expect(plan.changed != c.prePatched)
        let installed = Support.applying(plan, to: snapshot)
        let patched = try #require(installed.contents(of: snapshot.layout.mainConfigPath))

        // Keep the fixture's debug socket inside the sandbox (it is the only host path containerd
        // would create outside --root/--state/--address); everything else is the patched file as is.
        let sandbox = try Self.startContainerd(with: String(decoding: patched, as: UTF8.self))
        defer { sandbox.destroy() }
        if let failure = try sandbox.criFailure() {
            // Only acceptable when the unpatched file fails the same way on this machine (a path
            // or placeholder that exists only on the fixture's real host); said loudly.
            let unpatched = snapshot.contents(of: snapshot.layout.mainConfigPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let original = try Self.startContainerd(with: unpatched)
            defer { original.destroy() }
            let originalFailure = try original.criFailure()
            #expect(originalFailure == failure, "\(c.label): our patch broke CRI: \(failure)\n(unpatched: \(originalFailure ?? "ok"))")
            print("*** \(c.label): CRI does not load on this machine even without our change (\(failure)); checked the config dump only ***")
        }

        let dump = try TOMLParser.parse(Array(try sandbox.configDump().utf8))
        let runtimes = ["plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes"]
        let systemdCgroup = dump.value(at: runtimes + ["runc", "options", "SystemdCgroup"])
        for definition in Support.standardDefinitions {
            let base = runtimes + [definition.handler]
            #expect(dump.value(at: base + ["runtime_type"]) == .string(definition.runtimeType),
                    "\(c.label): \(definition.handler) runtime_type in config dump")
            switch definition.kind {
            case .shim:
                #expect(dump.value(at: base + ["runtime_path"]) == .string(definition.shimPath!),
                        "\(c.label): \(definition.handler) runtime_path in config dump")
            case .ociBinary:
                #expect(dump.value(at: base + ["options", "BinaryName"]) == .string(definition.binaryPath!))
                #expect(dump.value(at: base + ["pod_annotations"]) == .array([.string("module.wasm.image/variant")]),
                        "\(c.label): pod_annotations in config dump")
            }
            if systemdCgroup == .bool(true) {
                #expect(dump.value(at: base + ["options", "SystemdCgroup"]) == systemdCgroup,
                        "\(c.label): \(definition.handler) must inherit runc's SystemdCgroup")
            } else if systemdCgroup == .bool(false) {
                // false is the default and is not copied (a shim may refuse an options table it cannot decode).
                #expect(dump.value(at: base + ["options", "SystemdCgroup"]) != .bool(true),
                        "\(c.label): \(definition.handler) must not get SystemdCgroup = true from a runc without it")
            }
        }
        // The user's own runtimes are still there.
        let before = try TOMLParser.parse(try snapshot.contents(of: snapshot.layout.mainConfigPath) ?? Support.defaults16)
        let userPath = ConfigSchema.runtimesPath(pluginID: plan.criPluginID)
        if let node = before.node(at: userPath) {
            for name in before.childKeys(of: node) {
                #expect(dump.node(at: runtimes + [name]) != nil, "\(c.label): user runtime \(name) lost")
            }
        }
    }
}
