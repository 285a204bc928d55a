import KubernetesClient
import Testing
@testable import WasmOperator

@Suite struct KnownWasmRuntimesTests {
    @Test func defaultCatalogMatchesTheContract() {
        let byName = Dictionary(uniqueKeysWithValues: KnownWasmRuntimes.default.runtimes.map { ($0.name, $0) })
        #expect(byName["spin"] == WasmRuntime(name: "spin", handler: "spin", kind: .shim, runtimeType: "io.containerd.spin.v2"))
        #expect(byName["wasmtime"]?.runtimeType == "io.containerd.wasmtime.v1")
        #expect(byName["wasmedge"]?.runtimeType == "io.containerd.wasmedge.v1")
        #expect(byName["wasmer"]?.runtimeType == "io.containerd.wasmer.v1")
        #expect(byName["slight"]?.runtimeType == "io.containerd.slight.v1")
        #expect(byName["wws"]?.runtimeType == "io.containerd.wws.v1")
        #expect(byName["lunatic"]?.runtimeType == "io.containerd.lunatic.v1")
        #expect(byName["kwasm"] == WasmRuntime(name: "kwasm", handler: "kwasm", kind: .ociBinary, runtimeType: "io.containerd.runc.v2"))
        #expect(byName["crun-wasmedge"] == WasmRuntime(name: "crun-wasmedge", handler: "crun", kind: .ociBinary, runtimeType: "io.containerd.runc.v2"))
    }

    @Test func runtimeTypeFromShimFileName() {
        #expect(KnownWasmRuntimes.runtimeType(forShimFile: "containerd-shim-spin-v2") == "io.containerd.spin.v2")
        #expect(KnownWasmRuntimes.runtimeType(forShimFile: "containerd-shim-kwtest-v12") == "io.containerd.kwtest.v12")
        #expect(KnownWasmRuntimes.runtimeType(forShimFile: "crun") == nil)
        #expect(KnownWasmRuntimes.runtimeType(forShimFile: "containerd-shim-spin") == nil)
    }
}

@Suite struct LabelSelectorTests {
    @Test func equalityAndSetBasedRequirements() throws {
        let selector = try LabelSelector(parsing: "tier in (edge, gpu),env!=prod,wasm,!legacy,zone==a")
        #expect(selector.matches(["tier": "edge", "env": "dev", "wasm": "", "zone": "a"]))
        #expect(!selector.matches(["tier": "cpu", "env": "dev", "wasm": "", "zone": "a"]))
        #expect(!selector.matches(["tier": "edge", "env": "prod", "wasm": "", "zone": "a"]))
        #expect(!selector.matches(["tier": "edge", "wasm": "", "zone": "a", "legacy": "1"]))
        #expect(!selector.matches(["tier": "edge", "zone": "a"]))
        let notIn = try LabelSelector(parsing: "arch notin (s390x)")
        #expect(notIn.matches([:]))
        #expect(!notIn.matches(["arch": "s390x"]))
        #expect(try LabelSelector(parsing: "node-role.kubernetes.io/wasm=true").matches(["node-role.kubernetes.io/wasm": "true"]))
    }

    @Test(arguments: ["", "a in b", "=x", "a=b c", "Bad Key=1", "a=-x", "a notin (", "example.com/=1"])
    func invalidSelectorsAreRejected(text: String) {
        #expect(throws: LabelSelector.ParseError.self) { try LabelSelector(parsing: text) }
    }
}

@Suite struct NodeSelectionTests {
    let plain = OperatorConfiguration(installerImage: "img:1")

    @Test func annotationDecides() {
        #expect(NodeSelection(labels: [:], annotations: ["kwasm.sh/kwasm-node": "true"], configuration: plain) == .selected)
        #expect(NodeSelection(labels: [:], annotations: ["kwasm.sh/kwasm-node": "false"], configuration: plain) == .notSelected)
        #expect(NodeSelection(labels: [:], annotations: [:], configuration: plain) == .notSelected)
        #expect(NodeSelection(labels: [:], annotations: ["kwasm.sh/kwasm-node": "yes"], configuration: plain) == .invalidAnnotation("yes"))
        #expect(NodeSelection(labels: [:], annotations: ["kwasm.sh/kwasm-node": "True"], configuration: plain) == .invalidAnnotation("True"))
    }

    @Test func selectorAndAutoProvisionSelectUnannotatedNodes() throws {
        var configuration = plain
        configuration.nodeSelector = try LabelSelector(parsing: "wasm=enabled")
        #expect(NodeSelection(labels: ["wasm": "enabled"], annotations: [:], configuration: configuration) == .selected)
        #expect(NodeSelection(labels: ["wasm": "off"], annotations: [:], configuration: configuration) == .notSelected)
        // An explicit "false" opts a node out; an invalid value never selects.
        #expect(NodeSelection(labels: ["wasm": "enabled"], annotations: ["kwasm.sh/kwasm-node": "false"], configuration: configuration) == .notSelected)
        #expect(NodeSelection(labels: ["wasm": "enabled"], annotations: ["kwasm.sh/kwasm-node": "1"], configuration: configuration) == .invalidAnnotation("1"))
        var auto = plain
        auto.autoProvision = true
        #expect(NodeSelection(labels: [:], annotations: [:], configuration: auto) == .selected)
    }
}
