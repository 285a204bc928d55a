import WasiRunner

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// kwasm-wasi [--stack-size BYTES] [--dir HOST[::GUEST]]... [--] MODULE.wasm [ARGS...]
// The `kwasm` runtime's runner: kwasm-oci puts it in front of a wasm container's process.args.
SignalExit.install()
var environment: [String: String] = [:]
var entry = environ
while let pointer = entry.pointee {
    let pair = String(cString: pointer)
    if let equals = pair.firstIndex(of: "=") {
        environment[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
    }
    entry += 1
}
do {
    let options = try RunnerOptions.parse(Array(CommandLine.arguments.dropFirst()), environment: environment)
    exit(WasiRunner(options: options, environment: environment).run())
} catch {
    let message = "kwasm-wasi: \(error)\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(RunnerExit.usage)
}
