import Testing
@testable import WasmOperator

@Suite struct ConfigurationTests {
    func flags(_ change: (inout OperatorFlags) -> Void = { _ in }) -> OperatorFlags {
        // Parsed, as the command does: an ArgumentParser group has its defaults only once parsed.
        var flags = try! OperatorFlags.parse([])
        flags.installerImage = "ghcr.io/kwasm/installer@sha256:" + String(repeating: "a", count: 64)
        change(&flags)
        return flags
    }

    @Test func defaultsMatchTheContract() throws {
        let configuration = try OperatorConfiguration(flags: flags())
        #expect(configuration.namespace == "kwasm")
        #expect(configuration.runtimes.map(\.name) == ["spin", "wasmtime"])
        #expect(configuration.maxParallel == 0)
        #expect(configuration.driftInterval == .seconds(600))
        #expect(configuration.jobActiveDeadlineSeconds == 600)
        #expect(configuration.jobTTLSeconds == 3600)
        #expect(configuration.jobBackoffLimit == 0)
        #expect(configuration.maxAttempts == 5)
        #expect(configuration.jobPriorityClass == "system-node-critical")
        #expect(configuration.installerResources == .default)
        #expect(configuration.healthProbeBindAddress == BindAddress(host: "0.0.0.0", port: 8081))
        #expect(configuration.metricsBindAddress == BindAddress(host: "0.0.0.0", port: 8080))
        #expect(configuration.leaderElectionNamespace == "kwasm")
        #expect(configuration.leaseName == "kwasm-operator")
        #expect(configuration.logFormat == .text)
    }

    @Test func namespaceComesFromPodNamespaceWhenNotGiven() throws {
        let configuration = try OperatorConfiguration(flags: flags(), environment: ["POD_NAMESPACE": "wasm-system"])
        #expect(configuration.namespace == "wasm-system")
        #expect(configuration.leaderElectionNamespace == "wasm-system")
        let explicit = try OperatorConfiguration(flags: flags { $0.namespace = "other" }, environment: ["POD_NAMESPACE": "wasm-system"])
        #expect(explicit.namespace == "other")
    }

    @Test func installerImageIsRequiredAndValidated() {
        #expect(throws: ConfigurationError.self) { try OperatorConfiguration(flags: OperatorFlags.parse([])) }
        #expect(throws: ConfigurationError.self) {
            try OperatorConfiguration(flags: flags { $0.installerImage = "repo@sha256:abc" })
        }
        #expect((try? OperatorConfiguration(flags: flags { $0.installerImage = "ghcr.io/kwasm/installer:v1.2.3" })) != nil)
    }

    @Test func everyFlagIsParsed() throws {
        let configuration = try OperatorConfiguration(flags: flags {
            $0.runtimes = "wasmedge, crun-wasmedge,wasmedge"
            $0.maxParallel = 3
            $0.nodeSelector = "node-role.kubernetes.io/wasm=true"
            $0.autoProvision = true
            $0.restartStrategy = "k3s"
            $0.driftInterval = "1h30m"
            $0.jobActiveDeadline = 120
            $0.jobTTL = 60
            $0.jobBackoffLimit = 1
            $0.maxAttempts = 2
            $0.jobPriorityClass = ""
            $0.installerResources = #"{"limits":{"memory":"128Mi"}}"#
            $0.imagePullSecrets = ["regcred"]
            $0.leaderElect = true
            $0.leaderElectionNamespace = "kube-system"
            $0.leaseName = "wasm"
            $0.healthProbeBindAddress = "127.0.0.1:0"
            $0.metricsBindAddress = "0"
            $0.logFormat = "json"
            $0.logLevel = "debug"
        })
        #expect(configuration.runtimes.map(\.handler) == ["wasmedge", "crun"])
        #expect(configuration.maxParallel == 3)
        #expect(configuration.nodeSelector?.matches(["node-role.kubernetes.io/wasm": "true"]) == true)
        #expect(configuration.autoProvision)
        #expect(configuration.restartStrategy == "k3s")
        #expect(configuration.driftInterval == .seconds(5400))
        #expect(configuration.jobActiveDeadlineSeconds == 120)
        #expect(configuration.jobTTLSeconds == 60)
        #expect(configuration.jobBackoffLimit == 1)
        #expect(configuration.maxAttempts == 2)
        #expect(configuration.jobPriorityClass == nil)
        #expect(configuration.installerResources == InstallerResources(limits: ["memory": "128Mi"]))
        #expect(configuration.imagePullSecrets == ["regcred"])
        #expect(configuration.leaderElect)
        #expect(configuration.leaderElectionNamespace == "kube-system")
        #expect(configuration.leaseName == "wasm")
        #expect(configuration.healthProbeBindAddress == BindAddress(host: "127.0.0.1", port: 0))
        #expect(configuration.metricsBindAddress == nil)
        #expect(configuration.logFormat == .json)
        #expect(configuration.logLevel == "debug")
    }

    @Test(arguments: [
        { (f: inout OperatorFlags) in f.runtimes = "spin,No_Pe" },
        { (f: inout OperatorFlags) in f.runtimes = " , " },
        { (f: inout OperatorFlags) in f.maxParallel = -1 },
        { (f: inout OperatorFlags) in f.nodeSelector = "a in b" },
        { (f: inout OperatorFlags) in f.restartStrategy = "reboot" },
        { (f: inout OperatorFlags) in f.driftInterval = "ten minutes" },
        { (f: inout OperatorFlags) in f.jobActiveDeadline = 0 },
        { (f: inout OperatorFlags) in f.maxAttempts = 0 },
        { (f: inout OperatorFlags) in f.installerResources = "{cpu: 1}" },
        { (f: inout OperatorFlags) in f.healthProbeBindAddress = "localhost" },
        { (f: inout OperatorFlags) in f.logFormat = "yaml" },
        { (f: inout OperatorFlags) in f.logLevel = "loud" },
        { (f: inout OperatorFlags) in f.installerImagePullPolicy = "Sometimes" },
        { (f: inout OperatorFlags) in f.namespace = "Bad_NS" },
    ] as [@Sendable (inout OperatorFlags) -> Void])
    func invalidFlagsAreRejectedWithAMessage(change: @Sendable (inout OperatorFlags) -> Void) {
        #expect(throws: ConfigurationError.self) { try OperatorConfiguration(flags: flags(change)) }
    }

    @Test func invalidRuntimeNameErrorNamesTheWellKnownOnes() {
        do {
            _ = try OperatorConfiguration(flags: flags { $0.runtimes = "Spin_Custom" })
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("Spin_Custom"))
            #expect(error.description.contains("wasmtime"))
        }
    }

    /// A runtime added to the installer image with `catalog add` gets its RuntimeClass with no
    /// operator change: its name (and handler, when it differs) is all the operator needs.
    @Test func runtimesOfTheImageCatalogNeedNoOperatorChange() throws {
        let configuration = try OperatorConfiguration(flags: flags { $0.runtimes = "kwasm,my-runtime,other=other-handler" })
        #expect(configuration.runtimes.map(\.name) == ["kwasm", "my-runtime", "other"])
        #expect(configuration.runtimes.map(\.handler) == ["kwasm", "my-runtime", "other-handler"])
        #expect(configuration.runtimes[1].kind == .catalog)
    }

    @Test func rolloutCapDefaultsToOnePerTenNodes() {
        var configuration = OperatorConfiguration(installerImage: "img:1")
        #expect(configuration.effectiveMaxParallel(selectedNodes: 0) == 1)
        #expect(configuration.effectiveMaxParallel(selectedNodes: 1) == 1)
        #expect(configuration.effectiveMaxParallel(selectedNodes: 10) == 1)
        #expect(configuration.effectiveMaxParallel(selectedNodes: 11) == 2)
        #expect(configuration.effectiveMaxParallel(selectedNodes: 5000) == 500)
        configuration.maxParallel = 7
        #expect(configuration.effectiveMaxParallel(selectedNodes: 5000) == 7)
    }

    @Test(arguments: [("10m", 600.0), ("0", 0), ("90s", 90), ("1h30m", 5400), ("500ms", 0.5), ("45", 45), ("1.5h", 5400)])
    func durations(text: String, seconds: Double) throws {
        #expect(try DurationParser.parse(text) == .milliseconds(Int64(seconds * 1000)))
    }
}
