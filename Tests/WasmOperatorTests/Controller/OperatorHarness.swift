import ClusterSimulator
import FakeKubernetesAPI
import Foundation
import KubernetesClient
import Logging
import Synchronization
import Testing
@testable import WasmOperator

typealias FakeJSON = FakeKubernetesAPI.JSONValue

/// A fake API server over real HTTP, a simulated kubelet, and operator instances using the
/// real client: the controller tests' cluster.
final class OperatorHarness: Sendable {
    let api: FakeAPIServer
    let cluster: SimulatedCluster
    let namespace = "kwasm"
    let client: KubernetesClient
    let operators = Mutex<[(KwasmOperator, Task<Void, Never>)]>([])
    let logger: Logger

    static func start(behavior: @escaping SimulatedCluster.Behavior = SimulatedCluster.succeedAfter(.milliseconds(30))) async throws -> OperatorHarness {
        let api = FakeAPIServer()
        _ = try await api.start()
        try api.create(.namespaces, ["metadata": ["name": "kwasm"]])
        return try OperatorHarness(api: api, behavior: behavior)
    }

    private init(api: FakeAPIServer, behavior: @escaping SimulatedCluster.Behavior) throws {
        self.api = api
        var logger = Logger(label: "test")
        logger.logLevel = ProcessInfo.processInfo.environment["KWASM_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        self.logger = logger
        cluster = SimulatedCluster(api: api, logger: logger, behavior: behavior)
        cluster.start()
        client = try Self.makeClient(api)
    }

    static func makeClient(_ api: FakeAPIServer, metrics: OperatorMetrics? = nil) throws -> KubernetesClient {
        var configuration = ClientConfiguration(server: api.baseURL, requestTimeout: .seconds(10))
        configuration.retry = RetryPolicy(maxRetries: 3, defaultDelay: .milliseconds(20), maxDelay: .milliseconds(200))
        var logger = Logger(label: "client")
        logger.logLevel = .critical
        let observer: RequestObserver? = metrics.map { metrics in { @Sendable record in metrics.observe(record) } }
        return try KubernetesClient(configuration: configuration, logger: logger, observer: observer)
    }

    static func configuration(_ change: (inout OperatorConfiguration) -> Void = { _ in }) -> OperatorConfiguration {
        var configuration = OperatorConfiguration(installerImage: "ghcr.io/kwasm/installer:test", namespace: "kwasm")
        configuration.healthProbeBindAddress = BindAddress(host: "127.0.0.1", port: 0)
        configuration.metricsBindAddress = BindAddress(host: "127.0.0.1", port: 0)
        configuration.retryBaseDelay = .milliseconds(200)
        configuration.retryMaxDelay = .seconds(1)
        configuration.slotPollInterval = .milliseconds(200)
        configuration.runtimeClassSyncInterval = .milliseconds(100)
        configuration.leaseDuration = .seconds(2)
        configuration.renewDeadline = .milliseconds(1500)
        configuration.retryPeriod = .milliseconds(200)
        change(&configuration)
        return configuration
    }

    /// Starts an operator process-equivalent (own client, own caches) and returns it.
    @discardableResult
    func startOperator(_ configuration: OperatorConfiguration = OperatorHarness.configuration(), identity: String? = nil) throws -> KwasmOperator {
        let metrics = OperatorMetrics()
        let client = try Self.makeClient(api, metrics: metrics)
        var logger = self.logger
        logger[metadataKey: "operator"] = "\(identity ?? "main")"
        let kwasm = KwasmOperator(configuration: configuration, client: client, metrics: metrics, logger: logger, identity: identity)
        let task = Task {
            try? await kwasm.run(handleSignals: false)
            try? await client.shutdown()
        }
        operators.withLock { $0.append((kwasm, task)) }
        return kwasm
    }

    /// Graceful shutdown of one operator; waits until it stopped (records an issue and
    /// cancels it if that takes longer than 15 s).
    func stop(_ kwasm: KwasmOperator, sourceLocation: SourceLocation = #_sourceLocation) async {
        let task = operators.withLock { list in list.first { $0.0 === kwasm }?.1 }
        await kwasm.shutdown()
        let watchdog = Task {
            try await Task.sleep(for: .seconds(15))
            Issue.record("graceful shutdown took longer than 15 s", sourceLocation: sourceLocation)
            task?.cancel()
        }
        await task?.value
        watchdog.cancel()
    }

    /// Hard stop (like SIGKILL: no graceful release).
    func kill(_ kwasm: KwasmOperator) async {
        let task = operators.withLock { list in list.first { $0.0 === kwasm }?.1 }
        task?.cancel()
        await task?.value
    }

    func shutdown() async {
        let all = operators.withLock { $0 }
        for (kwasm, task) in all {
            await kwasm.shutdown()
            await task.value
        }
        cluster.stop()
        try? await client.shutdown()
        await api.shutdown()
    }

    // MARK: - Reading the cluster

    func node(_ name: String) -> FakeJSON? { api.get(.nodes, name: name) }
    func label(_ node: String) -> String? { self.node(node)?["metadata"]?["labels"]?["kwasm.sh/kwasm-provisioned"]?.stringValue }
    func status(_ node: String) -> FakeJSON? { api.get(.wasmNodeStatuses, name: node) }
    func phase(_ node: String) -> String? { status(node)?["status"]?["phase"]?.stringValue }
    func condition(_ node: String, _ type: String) -> FakeJSON? {
        status(node)?["status"]?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }
    func jobs() -> [FakeJSON] { (try? api.list(.jobs, namespace: namespace)) ?? [] }
    func runtimeClasses() -> [String] {
        ((try? api.list(.runtimeClasses)) ?? []).compactMap { $0["metadata"]?["name"]?.stringValue }.sorted()
    }
    func events(reason: String) -> [FakeJSON] {
        ((try? api.list(.events)) ?? []).filter { $0["reason"]?.stringValue == reason }
    }

    func addNodes(_ names: [String], annotation: String? = "true", runtimeHandlers: [String]? = nil) throws {
        for name in names {
            try cluster.addNode(SimulatedNode(
                name: name, annotations: annotation.map { ["kwasm.sh/kwasm-node": $0] } ?? [:], runtimeHandlers: runtimeHandlers))
        }
    }
}

/// Polls `condition` until it holds or `timeout` passes; records an issue on timeout.
@discardableResult
func eventually(
    _ what: String, timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () throws -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? condition()) == true { return true }
        try? await Task.sleep(for: .milliseconds(25))
    }
    Issue.record("timed out waiting for: \(what)", sourceLocation: sourceLocation)
    return false
}
