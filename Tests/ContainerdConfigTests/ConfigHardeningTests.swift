@testable import ContainerdConfig
import Foundation
import Testing

/// Issue #14 items that live in the engine: nesting limit, forged metadata, option keys.
@Suite struct ConfigHardeningTests {
    let configPath = "/etc/containerd/config.toml"

    func snapshot(_ text: String) -> HostConfigSnapshot {
        HostConfigSnapshot(layout: .standard(.default), files: [configPath: Array(text.utf8)])
    }

    @Test(arguments: ["a = " + String(repeating: "[", count: 200_000),
                      "a = " + String(repeating: "{b = ", count: 200_000),
                      "a = " + String(repeating: "[", count: 101) + String(repeating: "]", count: 101),
                      String(repeating: "a.", count: 5000) + "b = 1",
                      "[" + String(repeating: "a.", count: 5000) + "b]"])
    func deeplyNestedTOMLIsAParseErrorNotACrash(_ text: String) {
        #expect {
            _ = try ConfigEngine.planInstall(snapshot("version = 2\n" + text + "\n"),
                                             definitions: [.shim(name: "demo", runtimeType: "io.containerd.demo.v1")])
        } throws: { error in
            (error as? ConfigError)?.reportCode == "ConfigParseError" && "\(error)".contains("config.toml")
        }
    }

    @Test func ordinaryNestingStillParses() throws {
        let text = "version = 2\na = " + String(repeating: "[", count: 50) + String(repeating: "]", count: 50) + "\n"
        _ = try ConfigEngine.planInstall(snapshot(text), definitions: [.shim(name: "demo", runtimeType: "io.containerd.demo.v1")])
    }

    @Test func aForgedCreatedBaseNeverDeletesAFileThatExistedBefore() throws {
        let original = "version = 2\n"
        let plan = try ConfigEngine.planInstall(snapshot(original), definitions: [.shim(name: "demo", runtimeType: "io.containerd.demo.v1")])
        let installed = try #require(plan.files.first?.newContents)
        // Someone adds a `created base=` line matching the original bytes, as if we had created the file.
        let forgedLine = ManagedBlock.metaPrefix + "created base=" + ManagedBlock.digest(Array(original.utf8)) + "\n"
        var text = String(decoding: installed, as: UTF8.self)
        text = text.replacingOccurrences(of: ManagedBlock.begin + "\n", with: ManagedBlock.begin + "\n" + forgedLine)
        let forged = snapshot(text)
        let withBackup = try ConfigEngine.planUninstall(forged, backup: [configPath: Array(original.utf8)])
        #expect(withBackup.files.first?.newContents == Array(original.utf8))
        let fromState = try ConfigEngine.planUninstall(forged, existedBefore: [configPath])
        #expect(fromState.files.first?.newContents == Array(original.utf8))
        // Without either (a file we really created), the metadata is honoured.
        #expect(try ConfigEngine.planUninstall(forged).files.first?.newContents == nil)
    }

    @Test func optionKeysMustBeOptionNames() throws {
        for key in ["a\"b", "a.b", "", "9x", "x y", "ü"] {
            #expect(throws: ConfigError.self) {
                _ = try ConfigEngine.planInstall(snapshot("version = 2\n"),
                                                 definitions: [.shim(name: "demo", runtimeType: "io.containerd.demo.v1", options: [key: .bool(true)])])
            }
        }
        _ = try ConfigEngine.planInstall(snapshot("version = 2\n"),
                                         definitions: [.shim(name: "demo", runtimeType: "io.containerd.demo.v1", options: ["SystemdCgroup": .bool(true), "_x9": .integer(1)])])
    }
}
