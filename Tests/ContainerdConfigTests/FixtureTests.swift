@testable import ContainerdConfig
import Testing

/// What the engine does with every real-world file in ../shared/fixtures/containerd.
///
/// | fixture | treated as | outcome | why |
/// |---|---|---|---|
/// | aks-node-controller/containerd.toml.gtpl | default main config | refused: notAContainerdConfig | AgentBaker's Go template; AKS renders it, nodes never read it |
/// | aks-node-controller/containerd_v2.toml.gtpl | default main config | refused: notAContainerdConfig | same |
/// | aks-ubuntu2204-gpu-mig/config.toml | default | in place, schema 2, grpc.v1.cri | nvidia default runtime kept |
/// | aks-ubuntu2404-containerd2-teleport/config.toml | default | in place, schema 2 written under `io.containerd.cri.v1.runtime` | version 2 + v3 ids only: read by containerd 2.x verbatim (see ConfigSchema.criPluginID) |
/// | bottlerocket-k8s/… , bottlerocket-k8s-nvidia/… | default main config | refused: notAContainerdConfig | Handlebars + front matter; Bottlerocket is immutable and configured through its API |
/// | capi-image-builder/config.toml | default main config | refused: notAContainerdConfig | Jinja2 template rendered at image build |
/// | containerd-config-default/containerd-1.6-default.toml | default | in place, schema 2 | |
/// | containerd-config-default/containerd-2.0.11-default.toml | default | drop-in + entry added to `imports = []` | schema 3 |
/// | containerd-config-default/containerd-2.2.4-default.toml | default | drop-in only, main untouched | its `conf.d/*.toml` import already covers the drop-in |
/// | containerd-config-default/containerd-2.3.4-default.toml | default | refused: unsupportedSchema 4 | |
/// | containerd-shim-spin-k3d/config.toml.tmpl | k3s template | refused: runtimeConflict spin | the template already defines `spin` |
/// | containerd-wasm-shims-k3d/config.toml.tmpl | k3s template | block appended, schema 1 (`plugins.cri`), Go lines intact | |
/// | debian-bookworm-containerd/config.toml | default | in place, schema 2 | |
/// | eks-al2/containerd-config.toml | default | in place, schema 2 | containerd 1.7: never via imports |
/// | eks-nodeadm/config.template.toml, config2.template.toml | default main config | refused: notAContainerdConfig | nodeadm's Go templates |
/// | eks-nodeadm-e2e-nvidia-v2/expected-containerd-config.toml | default | in place, schema 2 | |
/// | eks-nodeadm-e2e-nvidia-v3/expected-containerd-configv3.toml | default | drop-in + new `imports` line | no imports key |
/// | eks-nodeadm-e2e-v3-full/expected-containerd-configv2.toml | default | drop-in + entry added to `imports = []` | |
/// | k3s-debian-gpu-ninja/config.toml.tmpl | k3s template | block appended, schema 2 | |
/// | kubespray/config.toml.j2 | default main config | refused: notAContainerdConfig | Jinja2 |
/// | microk8s-2020-v1/containerd-template.toml | microk8s | in place, schema 1 | `${SNAP}` placeholders are valid TOML strings |
/// | minikube/containerd.toml | default | in place, schema 2 | |
/// | minikube-gvisor-addon/gvisor-config.toml | default main config | refused: notAContainerdConfig | Go template inside a string: invalid TOML |
/// | nvidia-ctk-tests/config_v1.toml | default | in place, schema 1 | |
/// | nvidia-ctk-tests/config_v2.toml | default | in place, schema 2 | |
/// | rcm-node-installer-testdata/config.toml | default | in place, schema 1 (`plugins.cri`) | no version key: containerd reads v1 and ignores its grpc.v1.cri tables |
/// | rke2-taroko-runsc/config.toml.tmpl | rke2 template | block appended, schema 1 | no version, no base template: rendered as-is, read as v1 |
/// | talos/cri-containerd.toml | default | drop-in + entry appended after the trailing comma array | (Talos itself is immutable; the installer reports that) |
/// | talos/cri-plugin.part | default | drop-in + new `imports` line | |
@Suite struct FixtureTests {
    enum Expected: Sendable {
        case inPlace(schema: Int, plugin: String)
        case dropIn(imports: ImportsChange)
        case template(schema: Int)
        case refused(ConfigError.Code)
    }

    enum ImportsChange: Sendable { case entryAdded, lineAdded, alreadyCovered }

    struct Case: Sendable, CustomTestStringConvertible {
        var fixture: String
        var distro: Distro
        var expected: Expected
        var testDescription: String { fixture }
    }

    static let v1 = "cri", v2 = "io.containerd.grpc.v1.cri", v3 = "io.containerd.cri.v1.runtime"

    static let cases: [Case] = [
        Case(fixture: "aks-node-controller/containerd.toml.gtpl", distro: .default, expected: .refused(.notAContainerdConfig)),
        Case(fixture: "aks-node-controller/containerd_v2.toml.gtpl", distro: .default, expected: .refused(.notAContainerdConfig)),
        Case(fixture: "aks-ubuntu2204-gpu-mig/config.toml", distro: .default, expected: .inPlace(schema: 2, plugin: v2)),
        Case(fixture: "aks-ubuntu2404-containerd2-teleport/config.toml", distro: .default, expected: .inPlace(schema: 2, plugin: v3)),
        Case(fixture: "bottlerocket-k8s/containerd-config-toml_k8s_containerd_sock", distro: .default, expected: .refused(.notAContainerdConfig)),
        Case(fixture: "bottlerocket-k8s-nvidia/containerd-config-toml_k8s_nvidia_containerd_sock", distro: .default, expected: .refused(.notAContainerdConfig)),
        Case(fixture: "capi-image-builder/config.toml", distro: .default, expected: .refused(.notAContainerdConfig)),
        Case(fixture: "containerd-config-default/containerd-1.6-default.toml", distro: .default, expected: .inPlace(schema: 2, plugin: v2)),
        Case(fixture: "containerd-config-default/containerd-2.0.11-default.toml", distro: .default, expected: .dropIn(imports: .entryAdded)),
        Case(fixture: "containerd-config-default/containerd-2.2.4-default.toml", distro: .default, expected: .dropIn(imports: .alreadyCovered)),
        Case(fixture: "containerd-config-default/containerd-2.3.4-default.toml", distro: .default, expected: .refused(.unsupportedSchema)),
        Case(fixture: "containerd-shim-spin-k3d/config.toml.tmpl", distro: .k3s, expected: .refused(.runtimeConflict)),
        Case(fixture: "containerd-wasm-shims-k3d/config.toml.tmpl", distro: .k3s, expected: .template(schema: 1)),
        Case(fixture: "debian-bookworm-containerd/config.toml", distro: .default, expected: .inPlace(schema: 2, plugin: v2)),
        Case(fixture: "eks-al2/containerd-config.toml", distro: .default, expected: .inPlace(schema: 2, plugin: v2)),
        Case(fixture: "eks-nodeadm/config.template.toml", distro: .default, expected: .refused(.notAContainerdConfig)),
        Case(fixture: "eks-nodeadm/config2.template.toml", distro: .default, expected: .refused(.notAContainerdConfig)),
        Case(fixture: "eks-nodeadm-e2e-nvidia-v2/expected-containerd-config.toml", distro: .default, expected: .inPlace(schema: 2, plugin: v2)),
        Case(fixture: "eks-nodeadm-e2e-nvidia-v3/expected-containerd-configv3.toml", distro: .default, expected: .dropIn(imports: .lineAdded)),
        Case(fixture: "eks-nodeadm-e2e-v3-full/expected-containerd-configv2.toml", distro: .default, expected: .dropIn(imports: .entryAdded)),
        Case(fixture: "k3s-debian-gpu-ninja/config.toml.tmpl", distro: .k3s, expected: .template(schema: 2)),
        Case(fixture: "kubespray/config.toml.j2", distro: .default, expected: .refused(.notAContainerdConfig)),
        Case(fixture: "microk8s-2020-v1/containerd-template.toml", distro: .microk8s, expected: .inPlace(schema: 1, plugin: v1)),
        Case(fixture: "minikube/containerd.toml", distro: .default, expected: .inPlace(schema: 2, plugin: v2)),
        Case(fixture: "minikube-gvisor-addon/gvisor-config.toml", distro: .default, expected: .refused(.notAContainerdConfig)),
        Case(fixture: "nvidia-ctk-tests/config_v1.toml", distro: .default, expected: .inPlace(schema: 1, plugin: v1)),
        Case(fixture: "nvidia-ctk-tests/config_v2.toml", distro: .default, expected: .inPlace(schema: 2, plugin: v2)),
        Case(fixture: "rcm-node-installer-testdata/config.toml", distro: .default, expected: .inPlace(schema: 1, plugin: v1)),
        Case(fixture: "rke2-taroko-runsc/config.toml.tmpl", distro: .rke2, expected: .template(schema: 1)),
        Case(fixture: "talos/cri-containerd.toml", distro: .default, expected: .dropIn(imports: .entryAdded)),
        Case(fixture: "talos/cri-plugin.part", distro: .default, expected: .dropIn(imports: .lineAdded)),
    ]

    @Test func everyFixtureHasAnAssertedOutcome() throws {
        let listed = Set(Self.cases.map(\.fixture))
        let present = Set(try Support.allFixtures())
        #expect(present.subtracting(listed).isEmpty, "fixtures without an asserted outcome: \(present.subtracting(listed).sorted())")
        #expect(listed.subtracting(present).isEmpty, "listed fixtures that are missing: \(listed.subtracting(present).sorted())")
    }

    static func snapshot(for c: Case) throws -> HostConfigSnapshot {
        let bytes = try Support.fixture(c.fixture)
        let layout = DistroLayout.standard(c.distro)
        if case .template = c.expected, let template = layout.templatePath {
            return Support.snapshot(c.distro, main: nil, extra: [template: bytes])
        }
        if c.distro == .k3s || c.distro == .rke2, let template = layout.templatePath {
            return Support.snapshot(c.distro, main: nil, extra: [template: bytes])
        }
        return Support.snapshot(c.distro, main: bytes)
    }

    @Test(arguments: cases)
    func fixture(_ c: Case) throws {
        let snapshot = try Self.snapshot(for: c)
        let original = try Support.fixture(c.fixture)
        let layout = snapshot.layout
        switch c.expected {
        case .refused(let code):
            do {
                let plan = try ConfigEngine.planInstall(snapshot, definitions: Support.standardDefinitions)
                Issue.record("expected \(code), got a plan: \(plan.files.map(\.diff))")
            } catch {
                #expect(error.code == code, "\(error)")
                #expect(error.file != nil && error.line != nil, "error must name file and line: \(error)")
                if code == .unsupportedSchema { #expect(error.reason == "unsupported containerd config schema 4") }
                if code == .runtimeConflict { #expect(error.reason.contains("\"spin\"")) }
            }
            // Status reports the problem rather than crashing.
            #expect(!ConfigEngine.inspect(snapshot, definitions: Support.standardDefinitions).isEmpty)

        case .inPlace(let schema, let plugin):
            let outcome = try RoundTrip.check(snapshot, label: c.fixture)
            #expect(outcome.plan.schema == schema)
            #expect(outcome.plan.criPluginID == plugin)
            #expect(outcome.plan.files.map(\.path) == [layout.mainConfigPath])
            let main = try #require(outcome.plan.files.first)
            #expect(main.needsBackup && !main.createdByUs)
            // Every original byte is kept; ours come after.
            let written = try #require(main.newContents)
            #expect(written.starts(with: original))

        case .dropIn(let imports):
            let outcome = try RoundTrip.check(snapshot, label: c.fixture)
            let dropInPath = try #require(layout.dropInPath)
            #expect(outcome.plan.schema == 3)
            #expect(outcome.plan.criPluginID == Self.v3)
            #expect(outcome.plan.files.first?.path == dropInPath, "drop-in must be written before the main file imports it")
            let dropIn = try #require(outcome.plan.files.first)
            #expect(dropIn.createdByUs)
            let dropInDoc = try TOMLParser.parse(try #require(dropIn.newContents))
            #expect(dropInDoc.rootEntry("version")?.value == .integer(3))
            let main = outcome.installed.contents(of: layout.mainConfigPath)
            let mainDoc = try TOMLParser.parse(try #require(main))
            let entries = mainDoc.rootEntry("imports")?.value
            switch imports {
            case .alreadyCovered:
                #expect(outcome.plan.files.count == 1, "main config must stay untouched")
            case .entryAdded, .lineAdded:
                guard case .array(let items)? = entries else { Issue.record("no imports array"); return }
                #expect(items.filter { $0.stringValue == dropInPath }.count == 1)
                let before = try TOMLParser.parse(original).rootEntry("imports")
                #expect((before == nil) == (imports == .lineAdded))
            }

        case .template(let schema):
            let outcome = try RoundTrip.check(snapshot, label: c.fixture)
            #expect(outcome.plan.schema == schema)
            let template = try #require(outcome.plan.files.first)
            #expect(template.path == layout.templatePath)
            let written = try #require(template.newContents)
            #expect(written.starts(with: original), "Go template lines must stay intact")
        }
    }
}
