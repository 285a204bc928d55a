import WasmKit
import WasmKitWASI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs one WASI preview1 command module and turns what happened into a process exit status:
/// `proc_exit(n)` → n, a trap → 134 with its reason and backtrace, an unusable module → 126 with one line.
public struct WasiRunner {
    public var options: RunnerOptions
    public var environment: [String: String]

    public init(options: RunnerOptions, environment: [String: String]) {
        self.options = options
        self.environment = environment
    }

    public func run() -> Int32 {
        let module: Module
        do {
            module = try parseWasm(filePath: options.modulePath)
        } catch {
            return fail(RunnerExit.invalidModule, "cannot load module \(options.modulePath): \(oneLine(error))")
        }
        let engine = Engine(configuration: EngineConfiguration(stackSize: options.stackSize))
        let store = Store(engine: engine)
        let wasi: WASIBridgeToHost
        do {
            wasi = try WASIBridgeToHost(
                args: [options.modulePath] + options.arguments,
                environment: environment,
                preopens: options.preopens.map { WASIBridgeToHost.Preopen(guestPath: $0.guest, hostPath: $0.host) })
        } catch {
            return fail(RunnerExit.usage, "cannot open preopened directories: \(oneLine(error))")
        }
        defer { try? wasi.close() }
        var imports = Imports()
        wasi.link(to: &imports, store: store)
        let instance: Instance
        do {
            instance = try module.instantiate(store: store, imports: imports)
        } catch {
            return fail(RunnerExit.invalidModule, "cannot instantiate module \(options.modulePath): \(oneLine(error))")
        }
        guard instance.exports[function: "_start"] != nil else {
            return fail(RunnerExit.invalidModule, "module \(options.modulePath) is not a WASI command: it exports no _start function")
        }
        do {
            return Int32(truncatingIfNeeded: try wasi.start(instance))
        } catch let trap as Trap {
            return fail(RunnerExit.trap, "wasm trap in \(options.modulePath): \(trap)")
        } catch {
            return fail(RunnerExit.trap, "module \(options.modulePath) failed: \(error)")
        }
    }

    private func oneLine(_ error: any Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    private func fail(_ status: Int32, _ message: String) -> Int32 {
        RunnerOutput.standardError("kwasm-wasi: " + message + "\n")
        return status
    }
}

/// Diagnostics go straight to fd 2, unbuffered, like the module's own writes.
enum RunnerOutput {
    static func standardError(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }
}
