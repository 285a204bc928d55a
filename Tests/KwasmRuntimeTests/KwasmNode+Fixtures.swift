import ContainerdSandbox

extension KwasmNode {
    /// A node with this build's kwasm-oci and kwasm-wasi.
    convenience init(release: Release, assets: TestAssets) throws {
        try self.init(release: release, assets: assets, kwasmOCI: Fixtures.builtProgram("kwasm-oci"),
                      kwasmWasi: Fixtures.builtProgram("kwasm-wasi"),
                      runnerLibrariesScript: Fixtures.repositoryRoot + "/installer-image/runner-libraries.sh")
    }

    /// Imports the fixture `NAME.wat`, assembled, as a wasm image.
    func importWasmImage(_ fixture: String) throws -> String {
        try importWasmImage(fixture, module: try Fixtures.module(fixture))
    }
}
