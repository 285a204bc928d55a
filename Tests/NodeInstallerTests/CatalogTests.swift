import Foundation
@testable import NodeInstaller
import Testing

@Suite struct CatalogTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "kwasm-catalog-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func addComputesChecksumsCopiesFilesAndReplacesEntries() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shim = dir + "/containerd-shim-spin-v2"
        try Data("spin v1".utf8).write(to: URL(fileURLWithPath: shim))
        let assets = dir + "/assets"

        let entry = try CatalogEditor.add(.init(assets: assets, name: "spin", handler: "spin", kind: "shim", version: "0.19.0",
                                                files: [shim], options: ["SystemdCgroup": .bool(true)]))
        #expect(entry.runtimeType == "io.containerd.spin.v2")
        #expect(entry.files == [.init(path: "bin/containerd-shim-spin-v2", sha256: FileDigest.sha256(Data("spin v1".utf8)), mode: "0755")])
        #expect(FileManager.default.contents(atPath: assets + "/bin/containerd-shim-spin-v2") == Data("spin v1".utf8))

        let crun = dir + "/crun"
        try Data("crun".utf8).write(to: URL(fileURLWithPath: crun))
        try CatalogEditor.add(.init(assets: assets, name: "crun-wasmedge", handler: "crun", kind: "oci-binary", version: "1.14", files: [crun]))

        try Data("spin v2".utf8).write(to: URL(fileURLWithPath: shim))
        try CatalogEditor.add(.init(assets: assets, name: "spin", handler: "spin", kind: "shim", version: "0.20.0", files: [shim]))

        let catalog = try RuntimeCatalog.load(assets: assets)
        #expect(catalog.runtimes.map(\.name) == ["spin", "crun-wasmedge"])
        #expect(catalog.runtimes[0].version == "0.20.0")
        #expect(catalog.runtimes[0].files[0].sha256 == FileDigest.sha256(Data("spin v2".utf8)))
        #expect(catalog.runtimes[1].runtimeType == "io.containerd.runc.v2")
        #expect(catalog.runtimes[1].podAnnotations == ["module.wasm.image/variant"])
        let definition = catalog.runtimes[1].definition(installDir: "/opt/kwasm")
        #expect(definition.binaryPath == "/opt/kwasm/bin/crun")
        #expect(try CatalogEditor.list(assets: assets).contains("\"crun-wasmedge\""))
        #expect(try catalog.select(["crun-wasmedge"]).map(\.handler) == ["crun"])
        #expect { try catalog.select(["nope"]) } throws: { ($0 as? InstallerError)?.code == .unknownRuntime }
    }

    @Test func invalidCatalogsAreRejectedWithTheEntryNamed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases = [
            #"{"runtimes":[{"name":"spin","kind":"shim","runtimeType":"io.containerd.spin.v2","files":[{"path":"../x","sha256":"\#(String(repeating: "a", count: 64))"}]}]}"#,
            #"{"runtimes":[{"name":"spin","kind":"shim","runtimeType":"io.containerd.spin.v2","files":[{"path":"bin/x","sha256":"abc"}]}]}"#,
            #"{"runtimes":[{"name":"Spin!","kind":"shim","runtimeType":"x","files":[{"path":"bin/x","sha256":"\#(String(repeating: "a", count: 64))"}]}]}"#,
            #"{"runtimes":[{"name":"spin","kind":"wasm","runtimeType":"x","files":[{"path":"bin/x","sha256":"\#(String(repeating: "a", count: 64))"}]}]}"#,
            #"not json"#,
        ]
        for text in cases {
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/runtimes.json"))
            #expect { try RuntimeCatalog.load(assets: dir) } throws: { ($0 as? InstallerError)?.code == .catalogInvalid }
        }
    }

    @Test func shimRuntimeTypeFollowsTheFileName() {
        #expect(RuntimeCatalog.shimRuntimeType(fileName: "containerd-shim-spin-v2") == "io.containerd.spin.v2")
        #expect(RuntimeCatalog.shimRuntimeType(fileName: "containerd-shim-wasmtime-v1") == "io.containerd.wasmtime.v1")
        #expect(RuntimeCatalog.shimRuntimeType(fileName: "containerd-shim-kwtest-v2") == "io.containerd.kwtest.v2")
        #expect(RuntimeCatalog.shimRuntimeType(fileName: "crun") == nil)
        #expect(RuntimeCatalog.shimRuntimeType(fileName: "containerd-shim-spin") == nil)
    }
}
