import Foundation
import ContainerdSandbox
import WAT

/// The committed `.wat` fixtures, assembled with WasmKit's WAT module into `.wasm` files on first use.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// A scratch directory for this test process (modules, files the modules read).
    static let scratch: String = {
        let path = NSTemporaryDirectory() + "kwasm-runtime-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// `Fixtures/NAME.wat` assembled to `<scratch>/NAME.wasm`.
    static func module(_ name: String) throws -> String {
        let output = scratch + "/" + name + ".wasm"
        if FileManager.default.fileExists(atPath: output) { return output }
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: directory + "/" + name + ".wat", encoding: .utf8)
        let bytes = try wat2wasm(text, options: EncodeOptions(nameSection: true))
        try Data(bytes).write(to: URL(fileURLWithPath: output + ".tmp"))
        try FileManager.default.moveItem(atPath: output + ".tmp", toPath: output)
        return output
    }

    /// The built executables, next to the test bundle (any scratch path), else `.build/debug`.
    static func builtProgram(_ name: String) -> String { BuiltProgram.path(name) }
}

extension Fixtures {
    /// The repository checkout these tests were built from.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
}
