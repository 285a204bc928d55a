import Foundation
@testable import NodeInstaller
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Random host trees, catalogs and flags against the in-process installer (no containerd: every install ends
/// in its rollback path). For every case: one report within the 4 KiB budget with exit 0/1/3, nothing outside
/// the host root changed, and after a failure (or a status or dry run) the host root is byte-identical,
/// modes and owners included. `KWASM_FUZZ_SEED` and `KWASM_FUZZ_CASES` reproduce or extend a run.
@Suite struct InstallerFuzzTests {
    static let seed = ProcessInfo.processInfo.environment["KWASM_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_206
    static let cases = ProcessInfo.processInfo.environment["KWASM_FUZZ_CASES"].flatMap { Int($0) } ?? 2000

    @Test func randomHostsCatalogsAndFlagsKeepTheInvariants() async throws {
        print("installer fuzz: seed \(Self.seed), \(Self.cases) cases (KWASM_FUZZ_SEED / KWASM_FUZZ_CASES to repeat)")
        var random = SeededRandom(seed: Self.seed)
        var outcomes: [String: Int] = [:]
        for index in 0..<Self.cases {
            if index % 250 == 0 { print("installer fuzz: case \(index)") }
            let fuzzCase = FuzzCase(&random)
            let host = try TempHost()
            defer { host.destroy() }
            try fuzzCase.build(host, &random)
            let before = host.hostTree, outside = host.outsideTree
            let report = await host.run(fuzzCase.operation) { fuzzCase.configure(&$0) }
            let data = report.encoded()
            let label = "case \(index) (seed \(Self.seed)): \(fuzzCase)"
            outcomes["\(fuzzCase.operation) \(report.result) \(report.error?.code ?? "")", default: 0] += 1
            #expect(data.count <= 4000, "\(label)")
            #expect((try? JSONDecoder().decode(InstallerReport.self, from: data)) != nil, "\(label)")
            #expect([0, 1, 3].contains(report.exitCode), "\(label)")
            #expect(host.outsideTree == outside, "\(label): changed outside the host root")
            if report.exitCode != 0 || fuzzCase.operation == .status || fuzzCase.dryRun {
                let changes = host.changes(since: before)
                #expect(changes.isEmpty, "\(label): \(report.result) \(report.error?.message.prefix(300) ?? "") changed \(changes)")
            }
        }
        print("installer fuzz outcomes:\n" + outcomes.sorted { $0.key < $1.key }.map { "  \($0.value)\t\($0.key)" }.joined(separator: "\n"))
    }
}

/// One random case: what is on the host, in the catalog, and on the command line.
struct FuzzCase: CustomStringConvertible {
    var operation: NodeInstaller.Operation
    var dryRun: Bool
    var installDir: String
    var runtimes: [String]
    var config: String?
    var expectedMachineID: String?
    var restart: RestartStrategy
    var catalog: [(name: String, files: [(String, String, String)], options: [String: JSONScalar])]
    var wrongSHA: Bool
    var hostFiles: [(path: String, kind: String)]
    var configText: String
    var configMode: Int
    var containerdLog: String?

    static let binaryNames = ["containerd-shim-alpha-v1", "containerd-shim-beta-v1", "crun-wasm"]
    static let hostPaths = ["/etc/containerd/config.toml", "/etc/containerd/config.toml.kwasm-backup", "/etc/machine-id",
                            "/opt/kwasm/bin/containerd-shim-alpha-v1", "/opt/kwasm/bin/containerd-shim-beta-v1",
                            "/opt/kwasm/state.json", "/opt/kwasm", "/opt", "/run/lock/kwasm.lock", "/etc/hostname",
                            "/usr/bin/containerd-shim-alpha-v1", "/opt/kwasm/bin", "/var/log/containerd.log"]
    static let kinds = ["fifo", "device", "link-outside", "link-inside", "link-dangling", "link-loop", "link-device",
                        "dir", "file", "big-file", "state-forged", "state-garbage", "link-relative-up"]
    static let configs = [TempHost.config, "version = 2\n", "version = 3\n", "", "version = 2\n[plugins\n",
                          "version = 2\na = " + String(repeating: "[", count: 5000) + "\n",
                          "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.alpha]\n  runtime_type = \"x\"\n",
                          "version = 2\n# --- BEGIN kwasm-operator managed block (do not edit) ---\n# kwasm-operator: created base=0000000000000000\n# --- END kwasm-operator managed block ---\n",
                          "version = 4\n"]

    init(_ random: inout SeededRandom) {
        // Most cases have valid flags and catalog, so they reach the writes and the rollback; the rest break
        // exactly one thing.
        let broken = random.int(0..<10) < 3 ? random.int(0..<6) : -1
        operation = random.pick([.install, .install, .install, .uninstall, .status])
        dryRun = random.int(0..<8) == 0
        installDir = broken == 0 ? random.pick(["", "/", "/usr", "rel", "/opt/kwasm/../x", "/etc/kwasm"])
            : random.pick(["/opt/kwasm", "/opt/kwasm", "/opt/kwasm/", "//opt/kwasm", "/srv/kwasm"])
        runtimes = broken == 1 ? random.pick([["nope"], ["Bad Name"]]) : random.pick([[], [], ["alpha"], ["alpha", "beta"]])
        config = broken == 2 ? random.pick(["/" + String(repeating: "long/", count: 900) + "config.toml", "/etc/hostname"])
            : random.pick([nil, nil, "/etc/containerd/config.toml", "/etc/../etc/containerd/config.toml"])
        expectedMachineID = broken == 3 ? "ffff" : random.pick([nil, "0123456789abcdef0123456789abcdef"])
        restart = broken == 4 ? .command : random.pick([.none, .none, .k0s])
        var catalog: [(name: String, files: [(String, String, String)], options: [String: JSONScalar])] = []
        var names = Self.binaryNames.shuffled(using: &random)
        for name in ["alpha", "beta"].prefix(random.int(1..<3)) {
            let files = (0..<random.int(1..<3)).map { _ in
                // Broken: a name another runtime uses, or a mode that is not one.
                (broken == 5 && random.bool() ? Self.binaryNames[0] : (names.popLast() ?? "extra-\(random.int(0..<9))"),
                 "#!/bin/sh\necho \(name) \(random.int(0..<3))\n",
                 broken == 5 ? random.pick(["999", "abc", "17777"]) : random.pick(["0755", "0755", "4755", "7777", "0777", "0644"]))
            }
            let options: [String: JSONScalar] = random.int(0..<4) == 0
                ? [broken == 5 ? random.pick(["a\"b", "x.y", ""]) : random.pick(["SystemdCgroup", "BinaryName"]): .bool(true)] : [:]
            catalog.append((name, files, options))
        }
        self.catalog = catalog
        wrongSHA = broken == 5 && random.bool()
        hostFiles = (0..<random.int(0..<4)).map { _ in (random.pick(Self.hostPaths), random.pick(Self.kinds)) }
        configText = random.int(0..<3) == 0 ? random.pick(Self.configs) : TempHost.config
        configMode = random.pick([0o644, 0o600, 0o640, 0o444])
        containerdLog = random.pick([nil, "/var/log/containerd.log"])
    }

    func build(_ host: TempHost, _ random: inout SeededRandom) throws {
        try host.catalog(catalog, wrongSHA: wrongSHA)
        try host.write("/etc/containerd/config.toml", configText, mode: configMode)
        try host.write("/etc/hostname", "node-1\n")
        // A later entry may sit under an earlier one that is not a directory: then it is simply not made.
        for (path, kind) in hostFiles { try? place(path, kind, host, &random) }
    }

    private func place(_ path: String, _ kind: String, _ host: TempHost, _ random: inout SeededRandom) throws {
        do {
            let full = host.root + path
            // Never build through a link placed earlier: the builder itself must not write outside the root.
            guard !host.hasLinkedAncestor(path) else { return }
            if HostFile.exists(full) {
                if HostFile.type(full) == S_IFDIR { try? FileManager.default.removeItem(atPath: full) } else { unlink(full) }
            }
            switch kind {
            case "fifo": try? host.fifo(path)
            case "device": host.device(path)
            case "link-outside": try host.symlink(path, to: host.outside + "/secret")
            case "link-inside": try host.symlink(path, to: "/etc/hostname")
            case "link-dangling": try host.symlink(path, to: "/nowhere/\(random.int(0..<9))")
            // Relative: an absolute target naming itself would point at the machine's own file of that name.
            case "link-loop": try host.symlink(path, to: (path as NSString).lastPathComponent)
            case "link-device":
                host.device("/dev/zero")
                try host.symlink(path, to: "/dev/zero")
            case "link-relative-up": try host.symlink(path, to: "../../../../../../../../" + host.outside.dropFirst())
            case "dir": try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
            case "big-file": try host.write(path, String(repeating: "0123456789abcdef", count: 4096))
            case "state-forged":
                try host.write(path, #"{"binaries":{"/etc/hostname":"\#(FileDigest.sha256(Data("node-1\n".utf8)))","/opt/kwasm/bin/../../../etc/hostname":"\#(FileDigest.sha256(Data("node-1\n".utf8)))"},"backups":["/etc/hostname"],"runtimes":[],"configFiles":{},"installDir":"/","pendingRestart":true}"#)
            case "state-garbage": try host.write(path, "{{{{")
            default: try host.write(path, "some host file \(random.int(0..<100))\n", mode: random.pick([0o644, 0o600, 0o755, 0o4755]))
            }
        }
    }

    func configure(_ options: inout InstallerOptions) {
        options.installDir = installDir
        options.runtimes = runtimes
        options.config = config
        options.expectedMachineID = expectedMachineID
        options.restart = restart
        options.restartCommand = nil
        options.dryRun = dryRun
        options.lockTimeout = 1
        options.containerdLog = containerdLog
    }

    var description: String {
        "\(operation) dryRun=\(dryRun) installDir=\(installDir) runtimes=\(runtimes) config=\(config?.prefix(60) ?? "-") "
            + "restart=\(restart) catalog=\(catalog.map { "\($0.name):\($0.files.map { "\($0.0)/\($0.2)" })\($0.options.keys.sorted())" }) "
            + "wrongSHA=\(wrongSHA) host=\(hostFiles.map { "\($0.path)=\($0.kind)" }) config=\(configText.prefix(40).debugDescription) mode=\(String(configMode, radix: 8))"
    }
}
