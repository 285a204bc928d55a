import ContainerdSandbox
import Foundation
import Testing
import WAT

/// scripts/demo.sh and the end-to-end test run the committed scripts/wasi/hello-kwasm.wasm: it must be
/// its `.wat` assembled (KWASM_WRITE_DEMO_WASM=1 rewrites it), and do what they expect.
@Suite struct DemoModuleTests {
    @Test func theCommittedDemoModuleIsItsWatAssembled() throws {
        let base = Fixtures.repositoryRoot + "/scripts/wasi/hello-kwasm"
        let assembled = Data(try wat2wasm(try String(contentsOfFile: base + ".wat", encoding: .utf8), options: EncodeOptions(nameSection: true)))
        if ProcessInfo.processInfo.environment["KWASM_WRITE_DEMO_WASM"] == "1" {
            try assembled.write(to: URL(fileURLWithPath: base + ".wasm"))
        }
        #expect(FileManager.default.contents(atPath: base + ".wasm") == assembled,
                "scripts/wasi/hello-kwasm.wasm is stale: KWASM_WRITE_DEMO_WASM=1 swift test --filter DemoModuleTests")
        let result = try CommandRunner.run(Fixtures.builtProgram("kwasm-wasi"), [base + ".wasm"])
        #expect(result.status == 3 && result.stdout.hasPrefix("Hello from a WASI module"), "\(result)")
    }
}
