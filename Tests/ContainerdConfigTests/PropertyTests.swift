@testable import ContainerdConfig
import Testing

/// Seeded random sequences of install / update / uninstall / user edits over the fixtures: every
/// file written is valid TOML (our parser and TOMLKit agree), re-applying is always a no-op, and a
/// final uninstall restores the start exactly (plus the user's own edits, which are kept).
@Suite struct PropertyTests {
    /// SplitMix64: deterministic across platforms, so a failing seed can be replayed.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func bool() -> Bool { next() & 1 == 1 }
    }

    static let seeds: [UInt64] = [1, 2, 3, 42, 2024, 0xC0FFEE]

    /// Every fixture case the engine handles, as a starting host.
    static func startingHosts() throws -> [(String, HostConfigSnapshot, String)] {
        var hosts: [(String, HostConfigSnapshot, String)] = []
        for c in FixtureTests.cases {
            if case .refused = c.expected { continue }
            let snapshot = try FixtureTests.snapshot(for: c)
            let layout = snapshot.layout
            let userFile = (c.distro == .k3s || c.distro == .rke2) ? layout.templatePath! : layout.mainConfigPath
            hosts.append((c.fixture, snapshot, userFile))
        }
        return hosts
    }

    static func randomDefinitions(_ rng: inout Random) -> [RuntimeDefinition] {
        var pool = [Support.spin, Support.wasmtime, Support.crun,
                    RuntimeDefinition.shim(name: "wasmedge", runtimeType: "io.containerd.wasmedge.v1",
                                           shimPath: "/opt/kwasm/bin/containerd-shim-wasmedge-v1")]
        var chosen: [RuntimeDefinition] = []
        for index in pool.indices where rng.bool() {
            var definition = pool[index]
            if rng.int(3) == 0 { definition.options["Debug"] = .bool(rng.bool()) }
            if rng.int(4) == 0 { definition.shimPath = definition.shimPath.map { $0.replacingOccurrences(of: "/opt/kwasm", with: "/opt/kwasm-\(rng.int(3))") } }
            if rng.int(5) == 0 { definition.podAnnotations = ["module.wasm.image/variant", "io.kwasm/level-\(rng.int(9))"] }
            chosen.append(definition)
        }
        if chosen.isEmpty { chosen = [pool.removeFirst()] }
        return chosen
    }

    @Test(arguments: seeds)
    func randomSequencesStayValidAndUninstallRestoresTheStart(_ seed: UInt64) throws {
        var rng = Random(state: seed)
        for (name, start, userFile) in try Self.startingHosts() {
            var host = start
            var expectedAfterUninstall = Support.existing(start)
            var installed = false
            for step in 0..<12 {
                let label = "seed \(seed) \(name) step \(step)"
                switch rng.int(5) {
                case 0, 1, 2:
                    let definitions = Self.randomDefinitions(&rng)
                    let plan = try ConfigEngine.planInstall(host, definitions: definitions)
                    host = Support.applying(plan, to: host)
                    installed = true
                    #expect(!(try ConfigEngine.planInstall(host, definitions: definitions)).changed, "\(label): re-apply changed")
                case 3:
                    host = Support.applying(try ConfigEngine.planUninstall(host), to: host)
                    installed = false
                    #expect(Support.existing(host) == expectedAfterUninstall, "\(label): uninstall did not restore")
                default:
                    // The admin prepends a comment to the file they own; it must survive.
                    guard let current = host.contents(of: userFile), installed else { continue }
                    let edit = Array("# admin edit \(rng.int(1000))\n".utf8)
                    host.files[userFile] = .some(edit + current)
                    expectedAfterUninstall[userFile] = edit + (expectedAfterUninstall[userFile] ?? [])
                }
                for (path, bytes) in Support.existing(host) where !path.hasSuffix(".tmpl") {
                    do { _ = try TOMLParser.parse(bytes) } catch {
                        Issue.record("\(label): \(path) invalid after step: line \(error.line): \(error.reason)")
                    }
                    #expect(Support.tomlKitAccepts(bytes), "\(label): TOMLKit rejects \(path)")
                }
            }
            host = Support.applying(try ConfigEngine.planUninstall(host), to: host)
            #expect(Support.existing(host) == expectedAfterUninstall, "seed \(seed) \(name): final uninstall did not restore the start")
        }
    }
}
