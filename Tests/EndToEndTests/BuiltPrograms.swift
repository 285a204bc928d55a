import ContainerdSandbox
import Foundation

/// The package's executables the end-to-end tests run as real processes.
enum BuiltPrograms {
    static var operatorBinary: String { locate("kwasm-operator", override: "KWASM_OPERATOR_BIN") }
    static var installerBinary: String { locate("kwasm-node-installer", override: "KWASM_NODE_INSTALLER_BIN") }
    static var kwasmOCIBinary: String { locate("kwasm-oci", override: "KWASM_OCI_BIN") }
    static var kwasmWasiBinary: String { locate("kwasm-wasi", override: "KWASM_WASI_BIN") }
    /// The checkout these tests were built from.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// `true` when root, containerd and the built binaries are all here. Otherwise says why on stderr,
    /// loudly, so a skipped end-to-end test never passes silently. (CI has all of them: nothing skips there.)
    static var endToEndAvailable: Bool {
        guard ContainerdSandbox.isAvailable else { return false }
        let missing = [operatorBinary, installerBinary].filter { !FileManager.default.isExecutableFile(atPath: $0) }
        guard missing.isEmpty else {
            FileHandle.standardError.write(Data(("\n*** SKIPPED: end-to-end test needs the built executables; missing "
                + missing.joined(separator: ", ") + " (swift build, or set KWASM_OPERATOR_BIN / KWASM_NODE_INSTALLER_BIN) ***\n").utf8))
            return false
        }
        return true
    }

    /// An environment override, else next to the test bundle (the same scratch dir's bin folder: works for
    /// `.build` and any `--scratch-path`), else `.build/debug` — as the installer tests find their binary.
    static func locate(_ name: String, override: String) -> String { BuiltProgram.path(name, override: override) }
}
