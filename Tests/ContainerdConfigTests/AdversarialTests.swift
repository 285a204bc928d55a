@testable import ContainerdConfig
import Testing

/// Hand-written hostile inputs: every TOML form of an existing runtime, inline tables, drop-ins and
/// imports, line endings, empty and garbage files, missing files, damaged blocks, user edits.
@Suite struct AdversarialTests {
    static let cri = "plugins.\"io.containerd.grpc.v1.cri\""
    static let defs = Support.standardDefinitions

    static func main(_ text: String) -> HostConfigSnapshot {
        Support.snapshot(.default, main: Array(text.utf8))
    }

    static func conflictLine(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Int? {
        do {
            _ = try ConfigEngine.planInstall(main(text), definitions: defs)
            Issue.record("expected a runtime conflict", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error.code == .runtimeConflict, "\(error)", sourceLocation: sourceLocation)
            #expect(error.reportCode == "RuntimeConflict", sourceLocation: sourceLocation)
            #expect(error.file == "/etc/containerd/config.toml", sourceLocation: sourceLocation)
            return error.line
        }
    }

    // MARK: same-named runtime in every TOML form

    static let conflictingForms: [(String, Int)] = [
        ("version = 2\n[\(cri).containerd.runtimes.spin]\nruntime_type = \"io.containerd.spin.v1\"\n", 2),
        ("version = 2\n[\(cri).containerd.runtimes.\"spin\"]\nruntime_type = \"x\"\n", 2),
        ("version = 2\n[plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes.'spin']\nruntime_type = \"x\"\n", 2),
        ("version = 2\n[\(cri).containerd]\nsnapshotter = \"overlayfs\"\nruntimes.spin.runtime_type = \"x\"\n", 4),
        ("version = 2\n[\(cri).containerd.runtimes]\nspin = { runtime_type = \"x\" }\n", 3),
        ("version = 2\n# a comment\n\n[\(cri).containerd.runtimes.spin.options]\nSystemdCgroup = true\n", 4),
        ("version = 2\nplugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.spin.runtime_type = \"x\"\n", 2),
        ("version = 2\n[plugins]\n\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun.runtime_type = \"x\"\n", 3),
    ]

    @Test(arguments: 0..<conflictingForms.count)
    func existingRuntimeInAnyFormIsAConflict(_ index: Int) throws {
        let (text, line) = Self.conflictingForms[index]
        #expect(Support.tomlKitAccepts(Array(text.utf8)))
        #expect(Self.conflictLine(text) == line)
    }

    /// Take-over comments the user's definition out (every line), adds ours, and uninstall brings theirs back.
    @Test(arguments: 0..<conflictingForms.count)
    func takeOverReplacesAndUninstallRestores(_ index: Int) throws {
        let (text, _) = Self.conflictingForms[index]
        let snapshot = Self.main(text)
        let plan = try ConfigEngine.planInstall(snapshot, definitions: Self.defs, options: InstallOptions(takeOver: true))
        let installed = Support.applying(plan, to: snapshot)
        let bytes = try #require(installed.contents(of: "/etc/containerd/config.toml"))
        let doc = try TOMLParser.parse(bytes)
        #expect(Support.tomlKitAccepts(bytes))
        let runtimes = ConfigSchema.runtimesPath(pluginID: ConfigSchema.v2PluginID)
        #expect(doc.value(at: runtimes + ["spin", "runtime_type"]) == .string("io.containerd.spin.v2"))
        #expect(Support.text(bytes).contains(ManagedBlock.takeOverPrefix))
        // Re-applying without the flag is still a no-op (take-over is remembered in the block).
        #expect(!(try ConfigEngine.planInstall(installed, definitions: Self.defs)).changed)
        let removed = Support.applying(try ConfigEngine.planUninstall(installed), to: installed)
        #expect(removed.contents(of: "/etc/containerd/config.toml") == Array(text.utf8))
    }

    @Test func differentlyNamedRuntimesAreKept() throws {
        let text = "version = 2\n[\(Self.cri).containerd.runtimes.spin-v1]\nruntime_type = \"/opt/rcm/bin/containerd-shim-spin-v1\"\n"
        let outcome = try RoundTrip.check(Self.main(text), label: "spin-v1")
        let doc = try TOMLParser.parse(try #require(outcome.installed.contents(of: "/etc/containerd/config.toml")))
        #expect(doc.value(at: ConfigSchema.runtimesPath(pluginID: ConfigSchema.v2PluginID) + ["spin-v1", "runtime_type"]) != nil)
    }

    @Test func runtimesWrittenAsInlineTableIsAClearError() {
        let text = "version = 2\n[\(Self.cri).containerd]\nruntimes = { runc = { runtime_type = \"io.containerd.runc.v2\" } }\n"
        #expect(Support.tomlKitAccepts(Array(text.utf8)))
        do {
            _ = try ConfigEngine.planInstall(Self.main(text), definitions: Self.defs)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unsupportedLayout)
            #expect(error.line == 3)
            #expect(error.reason.contains("inline table"))
        }
    }

    /// `runtimes` created by dotted keys still accepts a `[…runtimes.spin]` sub-table (TOML 1.0 allows it).
    @Test func dottedKeyParentsAcceptOurSubTables() throws {
        let text = "version = 2\n[\(Self.cri)]\ncontainerd.runtimes.runc.runtime_type = \"io.containerd.runc.v2\"\ncontainerd.runtimes.runc.options.SystemdCgroup = true\n"
        let outcome = try RoundTrip.check(Self.main(text), label: "dotted parents")
        let doc = try TOMLParser.parse(try #require(outcome.installed.contents(of: "/etc/containerd/config.toml")))
        let runtimes = ConfigSchema.runtimesPath(pluginID: ConfigSchema.v2PluginID)
        #expect(doc.value(at: runtimes + ["spin", "options", "SystemdCgroup"]) == .bool(true))
    }

    // MARK: inherited options and definition overrides

    @Test func systemdCgroupIsInheritedUnlessOverridden() throws {
        let text = "version = 2\n[\(Self.cri).containerd.runtimes.runc]\nruntime_type = \"io.containerd.runc.v2\"\n[\(Self.cri).containerd.runtimes.runc.options]\nSystemdCgroup = true\n"
        var crun = Support.crun
        crun.options["SystemdCgroup"] = .bool(false)
        let plan = try ConfigEngine.planInstall(Self.main(text), definitions: [Support.spin, crun])
        let doc = try TOMLParser.parse(try #require(plan.files.first?.newContents))
        let runtimes = ConfigSchema.runtimesPath(pluginID: ConfigSchema.v2PluginID)
        #expect(doc.value(at: runtimes + ["spin", "options", "SystemdCgroup"]) == .bool(true))
        #expect(doc.value(at: runtimes + ["crun", "options", "SystemdCgroup"]) == .bool(false))
    }

    /// containerd 1.x replaces its built-in runtimes map once a runtimes table exists, so the first
    /// runtimes table we add must carry `runc` (else CRI fails: default_runtime_name = "runc").
    @Test func defaultRuncIsKeptWhenTheConfigHadNoRuntimes() throws {
        let runtimes = ConfigSchema.runtimesPath(pluginID: ConfigSchema.v2PluginID)
        let bare = try ConfigEngine.planInstall(Self.main("version = 2\n"), definitions: [Support.spin])
        let bareDoc = try TOMLParser.parse(try #require(bare.files.first?.newContents))
        #expect(bareDoc.value(at: runtimes + ["runc", "runtime_type"]) == .string("io.containerd.runc.v2"))

        let withRunc = "version = 2\n[\(Self.cri).containerd.runtimes.runc]\nruntime_type = \"io.containerd.runc.v2\"\n"
        let kept = try ConfigEngine.planInstall(Self.main(withRunc), definitions: [Support.spin])
        #expect(Support.text(kept.files.first?.newContents).components(separatedBy: "runtimes.runc]").count == 2)

        let nvidia = try Support.fixture("eks-nodeadm-e2e-nvidia-v2/expected-containerd-config.toml")
        let other = try ConfigEngine.planInstall(Support.snapshot(.default, main: nvidia), definitions: [Support.spin])
        let otherDoc = try TOMLParser.parse(try #require(other.files.first?.newContents))
        #expect(otherDoc.node(at: runtimes + ["runc"]) == nil, "default runtime is nvidia: no runc added")
    }

    @Test func runtimePathOnlyWhereContainerdHonoursIt() throws {
        let text = Array("version = 2\n".utf8)
        let old = Support.snapshot(.default, main: text, version: "1.5.9")
        let plan = try ConfigEngine.planInstall(old, definitions: [Support.spin])
        let oldText = Support.text(plan.files.first?.newContents)
        #expect(!oldText.contains("runtime_path"))
        let new = Support.snapshot(.default, main: text, version: "containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3")
        let plan16 = try ConfigEngine.planInstall(new, definitions: [Support.spin])
        let newText = Support.text(plan16.files.first?.newContents)
        #expect(newText.contains("runtime_path = \"/opt/kwasm/bin/containerd-shim-spin-v2\""))
    }

    @Test func invalidDefinitionsAreRejected() {
        for bad in [RuntimeDefinition.shim(name: "x", handler: "", runtimeType: "io.containerd.x.v1"),
                    RuntimeDefinition.shim(name: "x", runtimeType: ""),
                    RuntimeDefinition(name: "c", kind: .ociBinary, runtimeType: "io.containerd.runc.v2", binaryPath: "crun"),
                    RuntimeDefinition.shim(name: "x", handler: "a\nb", runtimeType: "io.containerd.x.v1")] {
            #expect(throws: ConfigError.self) { _ = try ConfigEngine.planInstall(Self.main("version = 2\n"), definitions: [bad]) }
        }
        #expect(throws: ConfigError.self) { _ = try ConfigEngine.planInstall(Self.main("version = 2\n"), definitions: [Support.spin, Support.spin]) }
    }

    // MARK: bytes and line endings

    @Test(arguments: [
        "version = 2\r\n[plugins]\r\n  [plugins.\"io.containerd.grpc.v1.cri\"]\r\n    sandbox_image = \"pause\"\r\n",
        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\nsandbox_image = \"pause\"",
        "version = 2\r\n[plugins]",
        "",
        "\n\n",
        "# only a comment, no newline",
        "version = 2\n\n\n",
    ])
    func lineEndingsAndEdgesRoundTrip(_ text: String) throws {
        let outcome = try RoundTrip.check(Self.main(text), label: text.debugDescription)
        let written = try #require(outcome.plan.files.first?.newContents)
        #expect(written.starts(with: Array(text.utf8)))
        if text.contains("\r\n") {
            let block = String(decoding: written.dropFirst(text.utf8.count), as: UTF8.self)
            #expect(!block.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "block must use CRLF like the file")
        }
    }

    @Test func emptyFileIsReadAsSchemaOne() throws {
        let plan = try ConfigEngine.planInstall(Self.main(""), definitions: Self.defs)
        #expect(plan.schema == 1)
        #expect(plan.criPluginID == "cri")
    }

    @Test func binaryGarbageIsRefusedWithFileAndLine() {
        let garbage: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00] + (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        do {
            _ = try ConfigEngine.planInstall(Support.snapshot(.default, main: garbage), definitions: Self.defs)
            Issue.record("expected a parse error")
        } catch {
            #expect(error.code == .parseError)
            #expect(error.reportCode == "ConfigParseError")
            #expect(error.file == "/etc/containerd/config.toml")
            #expect(error.line == 1)
            #expect(error.description.hasPrefix("/etc/containerd/config.toml:1:"))
        }
    }

    @Test func malformedVersionIsRefused() {
        #expect(throws: ConfigError.self) { _ = try ConfigEngine.planInstall(Self.main("version = \"2\"\n"), definitions: Self.defs) }
        do {
            _ = try ConfigEngine.planInstall(Self.main("# x\nversion = 4\n"), definitions: Self.defs)
        } catch {
            #expect(error.code == .unsupportedSchema)
            #expect(error.reportCode == "UnsupportedSchema")
            #expect(error.description == "/etc/containerd/config.toml:2: unsupported containerd config schema 4")
        }
    }

    // MARK: missing files and created markers

    @Test func missingConfigIsCreatedFromDefaultsAndDeletedOnUninstall() throws {
        let snapshot = Support.snapshot(.default, main: nil, defaults: try Support.defaults16)
        let outcome = try RoundTrip.check(snapshot, label: "missing, 1.6 defaults")
        let main = try #require(outcome.plan.files.first)
        #expect(main.createdByUs && !main.needsBackup)
        // containerd keeps its default runc runtime: the created file is the defaults plus our block.
        #expect(try #require(main.newContents).starts(with: try Support.defaults16))
        let removal = try ConfigEngine.planUninstall(outcome.installed)
        #expect(removal.files.map(\.newContents) == [nil])
    }

    @Test func missingConfigOnContainerd2CreatesMainAndDropIn() throws {
        let snapshot = Support.snapshot(.default, main: nil, defaults: try Support.defaults22)
        let outcome = try RoundTrip.check(snapshot, label: "missing, 2.2 defaults")
        #expect(outcome.plan.files.map(\.path) == ["/etc/containerd/conf.d/kwasm.toml", "/etc/containerd/config.toml"])
        #expect(outcome.plan.files.allSatisfy { $0.createdByUs })
        let removal = try ConfigEngine.planUninstall(outcome.installed)
        #expect(removal.files.map(\.path) == ["/etc/containerd/config.toml", "/etc/containerd/conf.d/kwasm.toml"])
    }

    @Test func missingConfigWithoutDefaultsIsRefused() {
        do {
            _ = try ConfigEngine.planInstall(Support.snapshot(.default, main: nil), definitions: Self.defs)
            Issue.record("expected missingDefaults")
        } catch {
            #expect(error.code == .missingDefaults)
        }
    }

    @Test func createdFileEditedByTheUserIsKeptOnUninstall() throws {
        let snapshot = Support.snapshot(.default, main: nil, defaults: try Support.defaults16)
        let installed = Support.applying(try ConfigEngine.planInstall(snapshot, definitions: Self.defs), to: snapshot)
        var edited = installed
        edited.files["/etc/containerd/config.toml"] = .some(Array("# mine\n".utf8) + installed.contents(of: "/etc/containerd/config.toml")!)
        let removal = try ConfigEngine.planUninstall(edited)
        let kept = try #require(removal.files.first?.newContents)
        #expect(kept == Array("# mine\n".utf8) + (try Support.defaults16))
    }

    // MARK: updates and user edits

    @Test func updatingADefinitionRewritesOnlyTheBlock() throws {
        let original = try Support.fixture("minikube/containerd.toml")
        let snapshot = Support.snapshot(.default, main: original)
        let installed = Support.applying(try ConfigEngine.planInstall(snapshot, definitions: Self.defs), to: snapshot)
        var spin = Support.spin
        spin.shimPath = "/opt/kwasm/v2/bin/containerd-shim-spin-v2"
        spin.options["Debug"] = .bool(true)
        let update = try ConfigEngine.planInstall(installed, definitions: [spin, Support.crun])
        let file = try #require(update.files.first)
        #expect(!file.needsBackup, "the original was backed up at the first change")
        let updated = try #require(file.newContents)
        #expect(updated.starts(with: original))
        #expect(Support.text(updated).contains("/opt/kwasm/v2/bin/containerd-shim-spin-v2"))
        #expect(!Support.text(updated).contains("wasmtime"))
        let host = Support.applying(update, to: installed)
        let removed = Support.applying(try ConfigEngine.planUninstall(host), to: host)
        #expect(removed.contents(of: "/etc/containerd/config.toml") == original)
        // Status sees the difference between what is installed and what is wanted.
        #expect(ConfigEngine.inspect(installed, definitions: [spin, Support.crun]).count == 1)
    }

    @Test func userEditsOutsideTheBlockSurviveUninstall() throws {
        let original = Array("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\nsandbox_image = \"pause\"".utf8)
        let snapshot = Support.snapshot(.default, main: original)
        let installed = Support.applying(try ConfigEngine.planInstall(snapshot, definitions: Self.defs), to: snapshot)
        var edited = installed
        let current = installed.contents(of: "/etc/containerd/config.toml")!
        edited.files["/etc/containerd/config.toml"] = .some(Array("# edited by admin\n".utf8) + current + Array("[debug]\nlevel = \"debug\"\n".utf8))
        // Our block moves back to the end of the file; their edits stay.
        #expect(try ConfigEngine.planInstall(edited, definitions: Self.defs).changed)
        let removed = Support.applying(try ConfigEngine.planUninstall(edited), to: edited)
        let text = Support.text(removed.contents(of: "/etc/containerd/config.toml"))
        #expect(text == "# edited by admin\nversion = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\nsandbox_image = \"pause\"\n[debug]\nlevel = \"debug\"\n")
        #expect(Support.tomlKitAccepts(Array(text.utf8)))
    }

    @Test func statusReportsMissingRuntimesAfterSomeoneRewroteTheConfig() throws {
        let original = try Support.fixture("eks-al2/containerd-config.toml")
        let snapshot = Support.snapshot(.default, main: original)
        let installed = Support.applying(try ConfigEngine.planInstall(snapshot, definitions: Self.defs), to: snapshot)
        #expect(ConfigEngine.inspect(installed, definitions: Self.defs).isEmpty)
        // kubespray / cloud auto-repair writes the config again without our block.
        let drift = ConfigEngine.inspect(snapshot, definitions: Self.defs)
        #expect(drift.map(\.message).contains("config: runtime spin is missing from /etc/containerd/config.toml"))
    }

    @Test func damagedBlockIsRefusedAndBackupRestores() throws {
        let original = Array("version = 2\n".utf8)
        let snapshot = Support.snapshot(.default, main: original)
        let installed = Support.applying(try ConfigEngine.planInstall(snapshot, definitions: Self.defs), to: snapshot)
        var damaged = installed
        let text = Support.text(installed.contents(of: "/etc/containerd/config.toml")).replacingOccurrences(of: ManagedBlock.end, with: "")
        damaged.files["/etc/containerd/config.toml"] = .some(Array(text.utf8))
        do {
            _ = try ConfigEngine.planInstall(damaged, definitions: Self.defs)
            Issue.record("expected damagedManagedBlock")
        } catch {
            #expect(error.code == .damagedManagedBlock)
            #expect(error.line == 3)
        }
        let restore = try ConfigEngine.planUninstall(damaged, backup: ["/etc/containerd/config.toml": original])
        #expect(restore.files.first?.newContents == original)
    }

    // MARK: drop-ins and imports (schema 3)

    static let v3Main = "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\nSystemdCgroup = true\n"

    @Test(arguments: [
        ("imports = [\"/etc/containerd/conf.d/*.toml\"]\n", false),
        ("imports = ['conf.d/*.toml']\n", false),
        ("imports = [\"/etc/containerd/conf.d/kw[a-z]sm.toml\"]\n", false),
        ("imports = [\"/etc/containerd/config.d/*.toml\"]\n", true),
        ("imports = [\"/etc/containerd/*.toml\"]\n", true),
        ("imports = [\n  # a comment\n  \"/etc/other.toml\", # trailing\n]\n", true),
    ])
    func importsAreDuplicateSafe(_ imports: String, _ expectEntry: Bool) throws {
        let text = imports + Self.v3Main
        let outcome = try RoundTrip.check(Self.main(text), label: imports)
        let touchedMain = outcome.plan.files.contains { $0.path == "/etc/containerd/config.toml" }
        #expect(touchedMain == expectEntry)
        let doc = try TOMLParser.parse(try #require(outcome.installed.contents(of: "/etc/containerd/config.toml")))
        guard case .array(let items)? = doc.rootEntry("imports")?.value else { Issue.record("imports gone"); return }
        #expect(items.filter { $0.stringValue == "/etc/containerd/conf.d/kwasm.toml" }.count == (expectEntry ? 1 : 0))
    }

    @Test func foreignFileAtOurDropInPathIsNotOverwritten() {
        let snapshot = Support.snapshot(.default, main: Array(Self.v3Main.utf8),
                                        extra: ["/etc/containerd/conf.d/kwasm.toml": Array("version = 3\n".utf8)])
        #expect(throws: ConfigError.self) { _ = try ConfigEngine.planInstall(snapshot, definitions: Self.defs) }
    }

    @Test func runtimeDefinedInAnotherImportedDropInIsAConflict() {
        let other = "version = 3\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.wasmtime]\nruntime_type = 'io.containerd.wasmtime.v1'\n"
        let snapshot = Support.snapshot(.default, main: Array(("imports = ['/etc/containerd/conf.d/*.toml']\n" + Self.v3Main).utf8),
                                        extra: ["/etc/containerd/conf.d/10-user.toml": Array(other.utf8)])
        do {
            _ = try ConfigEngine.planInstall(snapshot, definitions: Self.defs)
            Issue.record("expected a conflict")
        } catch {
            #expect(error.code == .runtimeConflict)
            #expect(error.file == "/etc/containerd/conf.d/10-user.toml")
        }
    }

    @Test func uninstallNeverLeavesADanglingImport() throws {
        let snapshot = Self.main("imports = []\n" + Self.v3Main)
        let installed = Support.applying(try ConfigEngine.planInstall(snapshot, definitions: Self.defs), to: snapshot)
        let removal = try ConfigEngine.planUninstall(installed)
        #expect(removal.files.map(\.path) == ["/etc/containerd/config.toml", "/etc/containerd/conf.d/kwasm.toml"],
                "imports entry goes first, then the file")
        let after = Support.applying(removal, to: installed)
        #expect(!Support.text(after.contents(of: "/etc/containerd/config.toml")).contains("kwasm"))
        #expect(after.contents(of: "/etc/containerd/conf.d/kwasm.toml") == nil)
    }

    /// containerd upgraded from 1.x to 2.x between installs: our in-place block moves to a drop-in.
    @Test func schemaUpgradeMovesOurBlockToADropIn() throws {
        let v2 = Self.main("version = 2\n")
        let installedV2 = Support.applying(try ConfigEngine.planInstall(v2, definitions: Self.defs), to: v2)
        var migrated = installedV2
        let text = Support.text(installedV2.contents(of: "/etc/containerd/config.toml")).replacingOccurrences(of: "version = 2", with: "version = 3")
            .replacingOccurrences(of: "io.containerd.grpc.v1.cri", with: "io.containerd.cri.v1.runtime")
        migrated.files["/etc/containerd/config.toml"] = .some(Array(text.utf8))
        let plan = try ConfigEngine.planInstall(migrated, definitions: Self.defs)
        let after = Support.applying(plan, to: migrated)
        #expect(Support.text(after.contents(of: "/etc/containerd/config.toml")).hasPrefix("imports = [\"/etc/containerd/conf.d/kwasm.toml\"]\nversion = 3\n"))
        #expect(after.contents(of: "/etc/containerd/conf.d/kwasm.toml") != nil)
        #expect(!(try ConfigEngine.planInstall(after, definitions: Self.defs)).changed)
        let removed = Support.applying(try ConfigEngine.planUninstall(after), to: after)
        #expect(Support.text(removed.contents(of: "/etc/containerd/config.toml")) == "version = 3\n")
    }

    // MARK: 1 MiB

    @Test func oneMebibyteConfigRoundTrips() throws {
        var text = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\nSystemdCgroup = true\n"
        var n = 0
        while text.utf8.count < 1 << 20 {
            text += "\n# registry mirror \(n)\n[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"registry-\(n).example.com\"]\n  endpoint = [\"https://mirror-\(n).example.com\", 'https://backup-\(n).example.com']\n  note = \"\"\"\nmulti-line \\\n  text \(n)\"\"\"\n"
            n += 1
        }
        let snapshot = Self.main(text)
        let clock = ContinuousClock()
        var plan: ConfigPlan?
        let elapsed = try clock.measure { plan = try ConfigEngine.planInstall(snapshot, definitions: Self.defs) }
        print("[measurement] planInstall on a \(text.utf8.count)-byte config (\(n) tables): \(elapsed) (debug build)")
        #expect(plan?.changed == true)
        try RoundTrip.check(snapshot, label: "1 MiB")
    }
}

/// `version = 2` files mixing the v2 and v3 CRI ids: write where the containerd that reads them looks.
@Suite struct MixedSchemaTests {
    static let both = """
        version = 2
        [plugins."io.containerd.grpc.v1.cri".cni]
          bin_dir = "/opt/cni/bin"
        [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
          runtime_type = "io.containerd.runc.v2"

        """

    @Test func v3RuntimesTableWinsOnContainerd2() throws {
        let plan = try ConfigEngine.planInstall(Support.snapshot(.default, main: Array(Self.both.utf8)), definitions: [Support.spin])
        #expect(plan.criPluginID == ConfigSchema.v3PluginID)
        let on1x = try ConfigEngine.planInstall(Support.snapshot(.default, main: Array(Self.both.utf8), version: "1.7.22"), definitions: [Support.spin])
        #expect(on1x.criPluginID == ConfigSchema.v2PluginID)
        let on2x = try ConfigEngine.planInstall(Support.snapshot(.default, main: Array(Self.both.utf8), version: "2.0.4"), definitions: [Support.spin])
        #expect(on2x.criPluginID == ConfigSchema.v3PluginID)
    }

    @Test func plainVersion2StaysOnTheV2Id() throws {
        let text = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\"\n"
        let plan = try ConfigEngine.planInstall(Support.snapshot(.default, main: Array(text.utf8), version: "2.1.0"), definitions: [Support.spin])
        #expect(plan.criPluginID == ConfigSchema.v2PluginID)
    }

    @Test func sameHandlerUnderTheOtherIdIsAConflict() {
        let text = Self.both + "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.spin]\n  runtime_type = \"io.containerd.spin.v2\"\n"
        #expect(throws: ConfigError.self) {
            _ = try ConfigEngine.planInstall(Support.snapshot(.default, main: Array(text.utf8)), definitions: [Support.spin])
        }
    }
}
