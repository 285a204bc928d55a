@testable import ContainerdConfig
import Testing

/// Every schema under every distro layout, using the real-world fixtures as the config containerd
/// (or k3s/RKE2 after rendering) reads.
@Suite struct DistroTests {
    /// Fixtures that are valid TOML with a supported schema (the base for the distro matrix).
    static let validFixtures: [String] = FixtureTests.cases.compactMap { c in
        switch c.expected {
        case .inPlace, .dropIn: return c.fixture
        default: return nil
        }
    }

    static func schema(of name: String) throws -> Int {
        try ConfigSchema.detect(try TOMLParser.parse(try Support.fixture(name)), file: name)
    }

    @Test(arguments: validFixtures)
    func microk8sEditsItsTemplateInPlace(_ name: String) throws {
        let bytes = try Support.fixture(name)
        let outcome = try RoundTrip.check(Support.snapshot(.microk8s, main: bytes), label: "microk8s \(name)")
        #expect(outcome.plan.files.map(\.path) == ["/var/snap/microk8s/current/args/containerd-template.toml"])
        #expect(try #require(outcome.plan.files.first?.newContents).starts(with: bytes))
    }

    @Test(arguments: validFixtures)
    func k0sUsesOnlyItsDropInDirectory(_ name: String) throws {
        let bytes = try Support.fixture(name)
        let outcome = try RoundTrip.check(Support.snapshot(.k0s, main: bytes), label: "k0s \(name)")
        #expect(outcome.plan.files.map(\.path) == ["/etc/k0s/containerd.d/kwasm.toml"])
        let dropIn = try TOMLParser.parse(try #require(outcome.plan.files.first?.newContents))
        #expect(dropIn.rootEntry("version")?.value == .integer(Int64(try Self.schema(of: name))))
    }

    @Test func k0sWithoutGeneratedConfigFollowsContainerdVersion() throws {
        let v2 = try RoundTrip.check(Support.snapshot(.k0s, main: nil, version: "1.7.22"), label: "k0s 1.7")
        #expect(v2.plan.schema == 2)
        let v3 = try RoundTrip.check(Support.snapshot(.k0s, main: nil, version: "2.0.2"), label: "k0s 2.0")
        #expect(v3.plan.schema == 3)
        #expect(v3.plan.criPluginID == ConfigSchema.v3PluginID)
    }

    /// k3s/RKE2 with only their rendered config: we create `{{ template "base" . }}` + our block
    /// (never a frozen copy of the rendered file), and delete it again on uninstall.
    @Test(arguments: [Distro.k3s, .rke2], validFixtures)
    func rancherCreatesABaseTemplate(_ distro: Distro, _ name: String) throws {
        let bytes = try Support.fixture(name)
        let snapshot = Support.snapshot(distro, main: bytes)
        let schema = try Self.schema(of: name)
        let outcome = try RoundTrip.check(snapshot, label: "\(distro) \(name)")
        let layout = DistroLayout.standard(distro)
        let file = try #require(outcome.plan.files.first)
        #expect(outcome.plan.files.count == 1)
        #expect(file.path == (schema == 3 ? layout.templateV3Path : layout.templatePath))
        #expect(file.createdByUs)
        #expect(Support.text(file.newContents).hasPrefix("{{ template \"base\" . }}\n"))
        #expect(outcome.plan.schema == schema)
        let removal = try ConfigEngine.planUninstall(outcome.installed)
        #expect(removal.files.map(\.newContents) == [nil])
    }

    @Test func k3sWithV3DropInDirectoryUsesADropIn() throws {
        let layout = DistroLayout.standard(.k3s)
        let rendered = "version = 3\nimports = [\"/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.d/*.toml\"]\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\nSystemdCgroup = true\n"
        let outcome = try RoundTrip.check(Support.snapshot(.k3s, main: Array(rendered.utf8)), label: "k3s conf.d")
        #expect(outcome.plan.files.map(\.path) == [layout.dropInPath!])
        let dropIn = Support.text(outcome.plan.files.first?.newContents)
        #expect(dropIn.contains("SystemdCgroup = true"))
    }

    @Test func k3sRuntimeAlreadyRenderedByK3sIsAConflict() {
        // Newer k3s adds runtimes for shims it finds on its PATH.
        let rendered = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.\"spin\"]\n  runtime_type = \"io.containerd.spin.v2\"\n"
        do {
            _ = try ConfigEngine.planInstall(Support.snapshot(.k3s, main: Array(rendered.utf8)), definitions: Support.standardDefinitions)
            Issue.record("expected conflict")
        } catch {
            #expect(error.code == .runtimeConflict)
            #expect(error.file == "/var/lib/rancher/k3s/agent/etc/containerd/config.toml")
            #expect(error.line == 2)
        }
    }

    /// After k3s renders the template (our block included), re-applying is still a no-op.
    @Test func k3sRenderedCopyOfOurBlockIsNotAConflict() throws {
        let rendered = Array("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\"\n".utf8)
        let snapshot = Support.snapshot(.k3s, main: rendered)
        let installed = Support.applying(try ConfigEngine.planInstall(snapshot, definitions: Support.standardDefinitions), to: snapshot)
        let template = Support.text(installed.contents(of: DistroLayout.standard(.k3s).templatePath!))
        // Simulate k3s rendering: base (the old rendered file) + our block.
        var afterRestart = installed
        let block = template.replacingOccurrences(of: "{{ template \"base\" . }}\n", with: "")
        afterRestart.files[DistroLayout.standard(.k3s).mainConfigPath] = .some(rendered + Array(block.utf8))
        #expect(!(try ConfigEngine.planInstall(afterRestart, definitions: Support.standardDefinitions)).changed)
        #expect(ConfigEngine.inspect(afterRestart, definitions: Support.standardDefinitions).isEmpty)
    }

    @Test func existingV3TemplateIsPreferred() throws {
        let layout = DistroLayout.standard(.rke2)
        let userTemplate = "{{ template \"base\" . }}\n\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runsc]\n  runtime_type = \"io.containerd.runsc.v1\"\n"
        let snapshot = Support.snapshot(.rke2, main: Array("version = 3\n".utf8), extra: [layout.templateV3Path!: Array(userTemplate.utf8)])
        let outcome = try RoundTrip.check(snapshot, label: "rke2 v3 template")
        #expect(outcome.plan.files.map(\.path) == [layout.templateV3Path!])
        #expect(outcome.plan.criPluginID == ConfigSchema.v3PluginID)
        #expect(!outcome.plan.files[0].createdByUs && outcome.plan.files[0].needsBackup)
    }

    @Test func templateWithUnsupportedVersionIsRefused() {
        let layout = DistroLayout.standard(.k3s)
        let snapshot = Support.snapshot(.k3s, main: nil, extra: [layout.templatePath!: Array("version = 4\n{{ template \"base\" . }}\n".utf8)])
        #expect(throws: ConfigError.self) { _ = try ConfigEngine.planInstall(snapshot, definitions: Support.standardDefinitions) }
    }
}
