import ContainerdSandbox
import Foundation
import Testing
import WasiRunner

/// `kwasm-wasi` alone, as a process: what a container's user sees (output, exit status, stderr).
@Suite struct WasiRunnerTests {
    let runner = Fixtures.builtProgram("kwasm-wasi")

    func run(_ module: String, _ arguments: [String] = [], options: [String] = [], environment: [String: String] = [:],
             input: String? = nil) throws -> CommandResult {
        try CommandRunner.run(runner, options + [try Fixtures.module(module)] + arguments, environment: environment, input: input)
    }

    @Test func helloWritesToStdoutAndExitsZero() throws {
        let result = try run("hello")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "hello from a WASI module\n")
        #expect(result.stderr == "")
    }

    @Test func procExitBecomesTheExitStatus() throws {
        let result = try run("exit3")
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr == "exiting with 3\n")
    }

    @Test func argumentsAndEnvironmentReachTheModule() throws {
        let result = try run("args", ["first", "with space", "--flag"], environment: ["GREETING": "hi there", "EMPTY": ""])
        #expect(result.status == 0, "\(result)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.prefix(4).dropFirst() == ["first", "with space", "--flag"])
        #expect(lines.first?.hasSuffix("args.wasm") == true)
        #expect(lines.contains("GREETING=hi there"))
        #expect(lines.contains("EMPTY="))
    }

    @Test func stdinIsReadToTheEnd() throws {
        let text = String(repeating: "line of input\n", count: 1000)
        let result = try run("cat", input: text)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == text)
    }

    @Test func filesUnderTheRootPreopenAreReadable() throws {
        let directory = Fixtures.scratch + "/volume"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("from a mounted volume\n".utf8).write(to: URL(fileURLWithPath: directory + "/data.txt"))
        let relative = String((directory + "/data.txt").dropFirst())
        let result = try run("readfile", [relative])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "from a mounted volume\n")

        let missing = try run("readfile", [relative + ".missing"])
        #expect(missing.status == 10 + 44, "ENOENT is WASI errno 44: \(missing)")
    }

    @Test func aTrapExits134WithTheReasonAndTheFunction() throws {
        let result = try run("trap")
        #expect(result.status == RunnerExit.trap, "\(result)")
        #expect(result.stderr.contains("unreachable"), "\(result.stderr)")
        #expect(result.stderr.contains("validate_input"), "the function that trapped: \(result.stderr)")
    }

    @Test func deepRecursionFitsTheDefaultStack() throws {
        let result = try run("recurse")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "recursed 100000 calls deep\n")
    }

    @Test func unboundedRecursionTrapsInsteadOfCrashing() throws {
        let result = try run("recurse", ["forever"], options: ["--stack-size", "1048576"])
        #expect(result.status == RunnerExit.trap, "\(result)")
        #expect(result.stderr.lowercased().contains("stack"), "\(result.stderr)")
    }

    @Test func aSmallStackIsConfigurableAndEnforced() throws {
        let small = try run("recurse", environment: ["KWASM_WASI_STACK_SIZE": "65536"])
        #expect(small.status == RunnerExit.trap, "100000 frames do not fit 64 KiB: \(small)")
    }

    @Test func aModuleThatDoesNotValidateGetsOneClearLine() throws {
        let path = Fixtures.scratch + "/broken.wasm"
        // A valid header, then a type section that claims more bytes than there are.
        try Data([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x7f, 0x60]).write(to: URL(fileURLWithPath: path))
        let result = try CommandRunner.run(runner, [path])
        #expect(result.status == RunnerExit.invalidModule, "\(result)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("kwasm-wasi: cannot load module \(path):"), "\(result.stderr)")

        let notWasm = try CommandRunner.run(runner, ["/etc/hostname"])
        #expect(notWasm.status == RunnerExit.invalidModule, "\(notWasm)")
        let absent = try CommandRunner.run(runner, [Fixtures.scratch + "/absent.wasm"])
        #expect(absent.status == RunnerExit.invalidModule, "\(absent)")
    }

    @Test func sigtermAndSigintEndTheModulePromptly() throws {
        for (signal, expected) in [(SIGTERM, Int32(143)), (SIGINT, Int32(130))] {
            let process = try BackgroundProcess([runner, try Fixtures.module("sleep")])
            #expect(process.waitForOutput("sleeping"), "\(process.output)")
            #expect(process.signalAndWait(signal) == expected)
        }
    }

    @Test func badRunnerOptionsAreUsageErrors() throws {
        let result = try CommandRunner.run(runner, ["--stack-size", "12", "x.wasm"])
        #expect(result.status == RunnerExit.usage)
        #expect(result.stderr.contains("--stack-size 12"))
        #expect(throws: RunnerOptions.UsageError.self) { try RunnerOptions.parse([]) }
        let parsed = try RunnerOptions.parse(["--dir", "/data::/mnt", "--", "m.wasm", "--stack-size"])
        #expect(parsed.modulePath == "m.wasm" && parsed.arguments == ["--stack-size"])
        #expect(parsed.preopens.map(\.guest) == ["/", "/mnt"])
    }
}
