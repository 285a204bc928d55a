@testable import ContainerdConfig
import Testing

/// Install → re-install → uninstall on a snapshot, asserting what a user would notice:
/// the runtimes are there, output is valid TOML (ours and TOMLKit's verdict), re-install changes
/// nothing, status reports no drift, and uninstall restores every file byte for byte.
enum RoundTrip {
    struct Outcome {
        var plan: ConfigPlan
        var installed: HostConfigSnapshot
    }

    @discardableResult
    static func check(_ snapshot: HostConfigSnapshot, _ definitions: [RuntimeDefinition] = Support.standardDefinitions,
                      label: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome {
        let plan = try ConfigEngine.planInstall(snapshot, definitions: definitions)
        #expect(plan.changed, "\(label): install planned no change", sourceLocation: sourceLocation)
        #expect(!ConfigEngine.inspect(snapshot, definitions: definitions).isEmpty,
                "\(label): status reports no drift before install", sourceLocation: sourceLocation)
        let installed = Support.applying(plan, to: snapshot)

        for file in plan.files {
            #expect(!file.diff.isEmpty, sourceLocation: sourceLocation)
            guard let bytes = file.newContents else { continue }
            if file.path.hasSuffix(".tmpl") { continue }  // Go templates are not TOML until rendered
            do { _ = try TOMLParser.parse(bytes) } catch {
                Issue.record("\(label): \(file.path) is invalid TOML after install: line \(error.line): \(error.reason)\n\(Support.text(bytes))",
                             sourceLocation: sourceLocation)
            }
            #expect(Support.tomlKitAccepts(bytes), "\(label): TOMLKit rejects \(file.path) after install", sourceLocation: sourceLocation)
        }
        // The runtimes are where containerd will look.
        try expectRuntimes(in: installed, plan: plan, definitions: definitions, label: label, sourceLocation: sourceLocation)

        let again = try ConfigEngine.planInstall(installed, definitions: definitions)
        #expect(!again.changed, "\(label): re-install is not a no-op: \(again.files.map(\.diff))", sourceLocation: sourceLocation)
        #expect(ConfigEngine.inspect(installed, definitions: definitions).isEmpty,
                "\(label): drift right after install: \(ConfigEngine.inspect(installed, definitions: definitions))",
                sourceLocation: sourceLocation)

        let removal = try ConfigEngine.planUninstall(installed)
        let uninstalled = Support.applying(removal, to: installed)
        #expect(Support.existing(uninstalled) == Support.existing(snapshot),
                "\(label): uninstall did not restore the original bytes", sourceLocation: sourceLocation)
        #expect(!(try ConfigEngine.planUninstall(uninstalled)).changed, "\(label): second uninstall not a no-op",
                sourceLocation: sourceLocation)
        return Outcome(plan: plan, installed: installed)
    }

    /// Reads back each runtime from the file containerd (or the distro's renderer) will read.
    static func expectRuntimes(in host: HostConfigSnapshot, plan: ConfigPlan, definitions: [RuntimeDefinition],
                               label: String, sourceLocation: SourceLocation) throws {
        let holder = plan.files.first { $0.newContents.map { ManagedBlock.runtimeBlockPresent($0) } ?? false }
        guard let holder, let bytes = holder.newContents else {
            Issue.record("\(label): no planned file holds the runtimes", sourceLocation: sourceLocation)
            return
        }
        // Templates: check the block alone.
        var text = bytes
        if holder.path.hasSuffix(".tmpl"), let found = try ManagedBlock.find(in: bytes, file: holder.path) {
            text = Array(bytes[found.range])
        }
        let doc = try TOMLParser.parse(text)
        let runtimes = ConfigSchema.runtimesPath(pluginID: plan.criPluginID)
        for definition in definitions {
            let base = runtimes + [definition.handler]
            #expect(doc.value(at: base + ["runtime_type"])?.stringValue == definition.runtimeType,
                    "\(label): runtime \(definition.handler) missing under \(runtimes)", sourceLocation: sourceLocation)
            if definition.kind == .ociBinary {
                #expect(doc.value(at: base + ["options", "BinaryName"])?.stringValue == definition.binaryPath,
                        sourceLocation: sourceLocation)
                #expect(doc.value(at: base + ["pod_annotations"]) == .array([.string("module.wasm.image/variant")]),
                        sourceLocation: sourceLocation)
            }
        }
    }
}

extension ManagedBlock {
    static func runtimeBlockPresent(_ bytes: [UInt8]) -> Bool {
        guard let found = try? find(in: bytes, file: "") else { return false }
        return String(decoding: bytes[found.range], as: UTF8.self).contains("runtime_type")
    }
}
