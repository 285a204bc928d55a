// swift-tools-version:6.1
import PackageDescription

// Module map (one folder per concern; see README "Layout"):
//   KubernetesClient   – typed models, kubeconfig, HTTP client, errors, watch framing
//   KubernetesRuntime  – watcher, store, work queue, controller, leader election, events
//   FakeKubernetesAPI  – in-process fake API server with honest semantics (test support)
//   ContainerdConfig   – pure containerd-config engine: bytes in, planned writes out
//   HostProcess        – posix_spawn + waitpid (installer and sandbox run host programs through it)
//   NodeInstaller      – host installer: assets, atomic writes, restart, CRI verification
//   WasmOperator       – reconcilers, installer Jobs, WasmNodeStatus, RuntimeClasses
//   kwasm-operator, kwasm-node-installer – thin executables

let nio = "https://github.com/apple/swift-nio.git"

var targets: [Target] = [
    .target(
        name: "ContainerdConfig",
        dependencies: []
    ),
    .target(
        name: "KubernetesClient",
        dependencies: [
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    .target(
        name: "KubernetesRuntime",
        dependencies: [
            "KubernetesClient",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]
    ),
    .target(
        name: "FakeKubernetesAPI",
        dependencies: [
            "KubernetesClient",  // the shared LabelSelector
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    // posix_spawn + waitpid with output to files: shared by the installer and the containerd sandbox.
    .target(
        name: "HostProcess",
        dependencies: []
    ),
    // Starts a real containerd in a sandbox (own root, state, socket, network namespace):
    // used by the engine and installer tests and by the local end-to-end demo. Its CRI pod runner talks
    // to containerd through the installer's own gRPC client (NodeInstaller/GRPC).
    .target(
        name: "ContainerdSandbox",
        dependencies: ["HostProcess", "NodeInstaller"]
    ),
    // envtest-style real control plane (etcd + kube-apiserver from KWASM_TEST_ASSETS) for the client and
    // runtime integration suites and the benchmark's real-API-server mode.
    .target(
        name: "KubernetesEnvtest",
        dependencies: ["HostProcess", "KubernetesClient", "FakeKubernetesAPI"]
    ),
    .target(
        name: "NodeInstaller",
        dependencies: [
            "ContainerdConfig",
            "HostProcess",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOHPACK", package: "swift-nio-http2"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    .target(
        name: "WasmOperator",
        dependencies: [
            "KubernetesClient",
            "KubernetesRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]
    ),
    // A simulated cluster around the fake API server: nodes, and a kubelet that runs installer
    // Jobs either by faking their result or by executing kwasm-node-installer for real.
    .target(
        name: "ClusterSimulator",
        dependencies: [
            "FakeKubernetesAPI",
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    // The `kwasm` runtime: a WASI preview1 runner on WasmKit (run inside the container) and the OCI
    // wrapper in front of runc that makes a wasm container run it (see docs/runtime-catalog.md).
    .target(
        name: "WasiRunner",
        dependencies: [
            .product(name: "WasmKit", package: "WasmKit"),
            .product(name: "WasmKitWASI", package: "WasmKit"),
        ]
    ),
    .executableTarget(
        name: "kwasm-wasi",
        dependencies: ["WasiRunner"]
    ),
    .target(
        name: "OCIWasmWrapper",
        dependencies: []
    ),
    .executableTarget(
        name: "kwasm-oci",
        dependencies: ["OCIWasmWrapper"]
    ),
    // kwasm vs crun+WAMR through CRI (release build; README "Benchmark"), not a test.
    .executableTarget(
        name: "kwasm-wasm-bench",
        dependencies: [
            "ContainerdSandbox",
            .product(name: "WAT", package: "WasmKit"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    .executableTarget(
        name: "kwasm-dev-cluster",
        dependencies: [
            "ClusterSimulator",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    // The local end-to-end demo's containerd sandbox (scripts/demo.sh).
    .executableTarget(
        name: "kwasm-sandbox",
        dependencies: [
            "ContainerdSandbox",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    .executableTarget(
        name: "kwasm-operator-bench",
        dependencies: [
            "KubernetesClient",
            "ClusterSimulator",
            "KubernetesEnvtest",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    .executableTarget(
        name: "kwasm-operator",
        dependencies: [
            "WasmOperator",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    .executableTarget(
        name: "kwasm-node-installer",
        dependencies: [
            "NodeInstaller",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
    ),
    .testTarget(
        name: "ContainerdConfigTests",
        dependencies: ["ContainerdConfig", "ContainerdSandbox", .product(name: "TOMLKit", package: "TOMLKit")]
    ),
    .testTarget(
        name: "KwasmRuntimeTests",
        dependencies: [
            "WasiRunner", "OCIWasmWrapper", "ContainerdSandbox", "HostProcess",
            .product(name: "WAT", package: "WasmKit"),
        ],
        exclude: ["Fixtures"]
    ),
    .testTarget(
        name: "KubernetesClientTests",
        dependencies: ["KubernetesClient", "FakeKubernetesAPI", "KubernetesEnvtest"]
    ),
    .testTarget(
        name: "FakeKubernetesAPITests",
        dependencies: ["FakeKubernetesAPI", .product(name: "AsyncHTTPClient", package: "async-http-client")]
    ),
    .testTarget(
        name: "KubernetesRuntimeTests",
        dependencies: ["KubernetesRuntime", "KubernetesClient", "FakeKubernetesAPI", "KubernetesEnvtest"]
    ),
    .testTarget(
        name: "NodeInstallerTests",
        dependencies: ["NodeInstaller", "ContainerdConfig", "ContainerdSandbox"]
    ),
    .testTarget(
        name: "WasmOperatorTests",
        dependencies: ["WasmOperator", "KubernetesClient", "KubernetesRuntime", "FakeKubernetesAPI", "ClusterSimulator"]
    ),
    // The whole product on this machine: the operator binary against the simulated cluster, whose
    // kubelet runs the real installer into a sandboxed containerd; plus wire-format cross-checks.
    .testTarget(
        name: "EndToEndTests",
        dependencies: [
            "WasmOperator", "NodeInstaller", "KubernetesClient", "FakeKubernetesAPI", "ClusterSimulator",
            "ContainerdSandbox", "HostProcess",
        ]
    ),
]

var products: [Product] = [
    .executable(name: "kwasm-operator", targets: ["kwasm-operator"]),
    .executable(name: "kwasm-node-installer", targets: ["kwasm-node-installer"]),
    .executable(name: "kwasm-wasi", targets: ["kwasm-wasi"]),
    .executable(name: "kwasm-oci", targets: ["kwasm-oci"]),
    .library(name: "ContainerdConfig", targets: ["ContainerdConfig"]),
    .library(name: "KubernetesClient", targets: ["KubernetesClient"]),
    .library(name: "KubernetesRuntime", targets: ["KubernetesRuntime"]),
]

// Development aid, never set in CI: KWASM_DEV_TARGETS="ContainerdConfig,NodeInstaller" builds
// only those targets (plus the local targets they need and their test targets), so people
// working on different modules do not wait on each other's half-finished code.
if let only = Context.environment["KWASM_DEV_TARGETS"], !only.isEmpty {
    var keep = Set(only.split(separator: ",").map { String($0.filter { $0 != " " }) })
    for name in keep { keep.insert(name + "Tests") }
    var changed = true
    while changed {
        changed = false
        for target in targets where keep.contains(target.name) {
            for case .targetItem(let dep, _) in target.dependencies where !keep.contains(dep) {
                keep.insert(dep); changed = true
            }
            for case .byNameItem(let dep, _) in target.dependencies where !keep.contains(dep) {
                keep.insert(dep); changed = true
            }
        }
    }
    targets = targets.filter { keep.contains($0.name) }
    products = products.filter { product in keep.contains(product.name) }
}

let package = Package(
    name: "kwasm-operator",
    platforms: [.macOS(.v14)],
    products: products,
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: nio, from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swiftwasm/WasmKit.git", exact: "0.4.2"),
    ],
    targets: targets
)
