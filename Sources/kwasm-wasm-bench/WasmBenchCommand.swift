import ArgumentParser
import ContainerdSandbox
import Foundation
import WAT

/// kwasm against crun+WAMR (shared/testbin) on the same containerd, through CRI (crictl), side by side:
/// container start→exit of a WASI hello and of a CPU-bound fib(30), and the behaviours crun+WAMR
/// gets wrong (exit codes, SIGTERM, deep recursion). Build it in release; not part of scripts/test.sh.
@main
struct WasmBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kwasm-wasm-bench",
        abstract: "kwasm vs crun+WAMR through CRI: start→exit of a WASI hello and fib(30), plus correctness checks.")

    @Option(help: "Runs per module and runtime (the median is reported).")
    var runs = 10
    @Option(help: "containerd release: containerd-1.6 (Debian), containerd-2.0, containerd-2.2.")
    var containerd = "containerd-1.6"
    @Option(help: "Directory with kwasm-oci and kwasm-wasi as the installer image ships them (installer-image/build-kwasm-runtime.sh DIR); default: next to this binary.")
    var binDir: String?

    func run() throws {
        guard let assets = TestAssets.fromEnvironment, KwasmNode.unavailableReason == nil else {
            throw ValidationError("needs root and KWASM_TEST_ASSETS: \(KwasmNode.unavailableReason ?? "")")
        }
        guard let release = KwasmNode.Release(rawValue: containerd) else { throw ValidationError("unknown --containerd \(containerd)") }
        let directory = binDir ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let node = try KwasmNode(release: release, assets: assets, kwasmOCI: directory + "/kwasm-oci",
                                 kwasmWasi: directory + "/kwasm-wasi",
                                 runnerLibrariesScript: repository + "/installer-image/runner-libraries.sh")
        let fixtures = repository + "/Tests/KwasmRuntimeTests/Fixtures"
        let scratch = node.sandbox.controlDirectory
        func assemble(_ name: String) throws -> String {
            let output = scratch + "/\(name).wasm"
            try Data(try wat2wasm(try String(contentsOfFile: fixtures + "/\(name).wat", encoding: .utf8), options: EncodeOptions(nameSection: true)))
                .write(to: URL(fileURLWithPath: output))
            return output
        }
        let hello = try node.importWasmImage("hello", module: assets.wasmModule("hello"))
        let fib = try node.importWasmImage("fib", module: try assemble("fib"))
        let exit3 = try node.importWasmImage("exit3", module: assets.wasmModule("exit3"))
        let recurse = try node.importWasmImage("recurse", module: try assemble("recurse"))
        let sleep = try node.importWasmImage("sleep", module: try assemble("sleep"))

        print("kwasm vs crun+WAMR, \(release), \(runs) runs each, median (min–max); times from containerd's CRI timestamps")
        print("kwasm runner: \(Self.linkage(node: node))")
        print(String(repeating: "-", count: 100))
        var rows: [(String, WasmTiming, WasmTiming)] = []
        for (label, image) in [("WASI hello: start→exit", hello), ("fib(30): start→exit", fib)] {
            let timings = try WasmTiming.measure(node: node, handlers: ["kwasm", "crun-wasm"], image: image, runs: runs)
            rows.append((label, timings[0], timings[1]))
        }
        print("| measurement | kwasm | crun+WAMR | ratio |")
        print("|---|---|---|---|")
        for (label, kwasm, crun) in rows {
            print("| \(label) | \(kwasm.startToExit) | \(crun.startToExit) | \(String(format: "%.2f×", kwasm.medianStartToExit / crun.medianStartToExit)) |")
            print("| \(label.replacingOccurrences(of: "start→exit", with: "create→exit")) | \(kwasm.createToExit) | \(crun.createToExit) | \(String(format: "%.2f×", kwasm.medianCreateToExit / crun.medianCreateToExit)) |")
        }
        // The floor of every runc-based runtime: runc starting a static native `true` (busybox).
        let busybox = try node.sandbox.importTestImage(namespace: ContainerdSandbox.criNamespace)
        let native = try WasmTiming.measure(node: node, handlers: ["runc"], image: busybox, args: ["true"], runs: runs)[0]
        print("| reference: plain runc, static native `true`: start→exit | \(native.startToExit) | | |")
        print("| reference: plain runc, static native `true`: create→exit | \(native.createToExit) | | |")
        print()
        print("| behaviour | kwasm | crun+WAMR |")
        print("|---|---|---|")
        let behaviours: [(String, (String) throws -> String)] = [
            ("proc_exit(3) → exit code", { try "\(node.cri.run(handler: $0, image: exit3, podAnnotations: Self.compat).exitCode)" }),
            ("recursion 100000 deep", { handler in
                let result = try node.cri.run(handler: handler, image: recurse, podAnnotations: Self.compat)
                return result.exitCode == 0 ? "ok" : "exit \(result.exitCode)"
            }),
            ("SIGTERM (crictl stop, 30 s grace) → exit code", { try Self.stopCode(node: node, handler: $0, image: sleep) }),
        ]
        for (label, probe) in behaviours {
            print("| \(label) | \(try probe("kwasm")) | \(try probe("crun-wasm")) |")
        }
    }

    static let compat = ["module.wasm.image/variant": "compat"]

    /// Users get the installer image's fully static runner; a dynamic one (a plain `swift build`) is
    /// started through its loader and pays for loading its libraries in every container.
    static func linkage(node: KwasmNode) -> String {
        let libraries = (try? String(contentsOfFile: node.installDirectory + "/kwasm-wasi.libs", encoding: .utf8)) ?? ""
        return libraries.isEmpty ? "fully static, as the installer image ships it"
            : "DYNAMIC, started through its loader (not what the installer image ships: see --bin-dir)"
    }

    static func stopCode(node: KwasmNode, handler: String, image: String) throws -> String {
        let cri = node.cri
        let started = try cri.start(handler: handler, image: image, podAnnotations: compat)
        defer { cri.remove(pod: started.pod) }
        let begin = Date()
        while try cri.crictlCommand(["logs", started.container]).stdout.isEmpty, Date().timeIntervalSince(begin) < 30 { usleep(50_000) }
        let stopBegin = Date()
        _ = try cri.checked(["stop", "--timeout", "30", started.container])
        let finished = try cri.waitForExit(started.container)
        return "\(finished.exitCode) after \(String(format: "%.1f", Date().timeIntervalSince(stopBegin))) s"
    }
}
