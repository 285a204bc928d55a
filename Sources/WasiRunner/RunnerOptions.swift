/// What `kwasm-wasi` was asked to run: its own options come first, then the module path, then the
/// module's arguments, passed through untouched (an OCI `process.args` with the runner in front).
public struct RunnerOptions: Equatable, Sendable {
    /// The interpreter stack for wasm locals and call frames. WasmKit's default is 512 KiB; ordinary
    /// recursive programs (and crun+WAMR's 8 KB limit is the complaint) need more.
    public static let defaultStackSize = 8 << 20

    public var modulePath: String
    public var arguments: [String]
    public var stackSize: Int
    /// Guest path → host path. The container's `/` is always there, so volume mounts are visible.
    public var preopens: [(guest: String, host: String)]

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.modulePath == rhs.modulePath && lhs.arguments == rhs.arguments && lhs.stackSize == rhs.stackSize
            && lhs.preopens.map { [$0.guest, $0.host] } == rhs.preopens.map { [$0.guest, $0.host] }
    }

    public struct UsageError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static let usage = "usage: kwasm-wasi [--stack-size BYTES] [--dir HOST[::GUEST]]... [--] MODULE.wasm [ARGS...]"

    /// Parses `argv` without its program name. `KWASM_WASI_STACK_SIZE` in the environment sets the
    /// stack when no `--stack-size` is given (a pod sets it through its env).
    public static func parse(_ argv: [String], environment: [String: String] = [:]) throws(UsageError) -> RunnerOptions {
        var stackSize = defaultStackSize
        if let fromEnvironment = environment["KWASM_WASI_STACK_SIZE"] {
            stackSize = try parseStackSize(fromEnvironment, source: "KWASM_WASI_STACK_SIZE")
        }
        var preopens: [(guest: String, host: String)] = [("/", "/")]
        var rest = argv[...]
        while let first = rest.first, first.hasPrefix("--") {
            rest = rest.dropFirst()
            if first == "--" { break }
            guard let value = rest.first else { throw UsageError(description: "\(first) needs a value\n\(usage)") }
            rest = rest.dropFirst()
            switch first {
            case "--stack-size": stackSize = try parseStackSize(value, source: "--stack-size")
            case "--dir":
                let parts = value.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
                guard parts.count <= 2, !parts[0].isEmpty else { throw UsageError(description: "--dir \(value): expected HOST or HOST::GUEST") }
                preopens.append((guest: parts.count == 2 ? parts[1] : parts[0], host: parts[0]))
            default: throw UsageError(description: "unknown option \(first)\n\(usage)")
            }
        }
        guard let module = rest.first else { throw UsageError(description: "no module given\n\(usage)") }
        return RunnerOptions(modulePath: module, arguments: Array(rest.dropFirst()), stackSize: stackSize, preopens: preopens)
    }

    private static func parseStackSize(_ text: String, source: String) throws(UsageError) -> Int {
        guard let bytes = Int(text), bytes >= 64 << 10, bytes <= 1 << 30 else {
            throw UsageError(description: "\(source) \(text): expected a byte count between 65536 and 1073741824")
        }
        return bytes
    }
}
