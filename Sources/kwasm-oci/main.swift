import OCIWasmWrapper

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// kwasm-oci: containerd's runc shim runs it as `BinaryName` of the `kwasm` runtime. It behaves as
// runc (it execs the real one with the same arguments) and on `create` of a wasm container puts
// kwasm-wasi in front of the module. See docs/runtime-catalog.md.
let arguments = Array(CommandLine.arguments.dropFirst())
var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
let selfPath = realpath("/proc/self/exe", &resolved) != nil ? String(cString: resolved) : CommandLine.arguments[0]
let selfDirectory = selfPath.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
let wrapper = OCIWrapper(selfDirectory: selfDirectory.isEmpty ? "/" : selfDirectory, arguments: arguments)
do {
    let runc = try wrapper.prepare(environment: getenv(RuncLocator.environmentVariable).map { String(cString: $0) })
    let argv = (["runc"] + arguments).map { strdup($0) } + [nil]
    execv(runc, argv)
    let message = "kwasm-oci: cannot exec \(runc): errno \(errno)\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(127)
} catch {
    // containerd's runc shim shows runc's stderr/log to the kubelet: say what went wrong there.
    let message = "kwasm-oci: \(error)\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(1)
}
