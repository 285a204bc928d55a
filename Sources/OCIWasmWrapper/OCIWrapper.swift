#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `kwasm-oci`: an OCI runtime that is runc, except that `create` of a wasm container first rewrites
/// the bundle's `config.json` (see ``WasmBundleRewrite``). Its companions live next to it:
/// `kwasm-wasi` (the runner), optionally `kwasm-wasi.libs` (host paths of a dynamic runner's loader
/// and libraries, one a line) and `kwasm-oci.runc` (the real runc's path, when not in a usual place).
public struct OCIWrapper {
    public var selfDirectory: String
    public var arguments: [String]

    public init(selfDirectory: String, arguments: [String]) {
        self.selfDirectory = selfDirectory
        self.arguments = arguments
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Rewrites the bundle when needed; returns the real runc to exec with the unchanged arguments.
    public func prepare(environment runcOverride: String?) throws(Failure) -> String {
        guard let runc = RuncLocator.locate(configFile: selfDirectory + "/kwasm-oci.runc", environment: runcOverride) else {
            throw Failure(description: "no runc found (looked in \(RuncLocator.candidates.joined(separator: ", "))); "
                + "write its path to \(selfDirectory)/kwasm-oci.runc")
        }
        let command = RuncCommandLine(arguments)
        if command.subcommand == "create" || command.subcommand == "run" {
            try rewriteBundle(command.bundle ?? ".")
        }
        return runc
    }

    func rewriteBundle(_ bundle: String) throws(Failure) {
        let path = bundle + "/config.json"
        let spec: JSONValue
        let mode: mode_t
        do {
            let file = try BundleFile.load(path)
            mode = file.mode
            spec = try JSONReader.parse(file.bytes)
        } catch {
            throw Failure(description: "cannot read \(path): \(error)")
        }
        guard let rewritten = rewrite.rewrite(spec) else { return }
        do {
            try BundleFile.replace(path, with: JSONWriter.bytes(rewritten), mode: mode)
        } catch {
            throw Failure(description: "cannot write \(path): \(error)")
        }
    }

    var rewrite: WasmBundleRewrite {
        let libraries = RuncLocator.readLines(selfDirectory + "/kwasm-wasi.libs").filter { $0.hasPrefix("/") }
        return WasmBundleRewrite(runnerPath: selfDirectory + "/kwasm-wasi", libraries: libraries)
    }
}
