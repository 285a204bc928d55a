import KubernetesClient
import KubernetesRuntime
import Prometheus

/// The operator's Prometheus metrics, on its own registry (no global state, so several
/// operators can run in one test process). Served at `/metrics`.
public final class OperatorMetrics: ReconcileObserver {
    public let registry = PrometheusCollectorRegistry()
    private let reconcileDuration: DurationHistogram
    private let jobsInFlight: Gauge

    public init() {
        reconcileDuration = registry.makeDurationHistogram(
            name: "kwasm_reconcile_duration_seconds",
            buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2), .seconds(10)],
            help: "Time spent in one node reconcile")
        jobsInFlight = registry.makeGauge(name: "kwasm_installer_jobs_in_flight", help: "Installer Jobs currently running")
        for phase in Self.phases {
            _ = registry.makeGauge(name: "kwasm_nodes", labels: [("phase", phase)], help: "Nodes with a WasmNodeStatus, by phase")
        }
    }

    static let phases = ["Pending", "Installing", "Ready", "Failed", "Uninstalling", "Unsupported"]

    /// Told by the ``Controller`` about every reconcile.
    public func reconciled(controller: String, duration: Duration, failed: Bool) {
        registry.makeCounter(name: "kwasm_reconciles_total", labels: [("controller", controller)], help: "Reconciles run").increment()
        if failed {
            registry.makeCounter(name: "kwasm_reconcile_errors_total", labels: [("controller", controller)], help: "Reconciles that failed").increment()
        }
        reconcileDuration.record(duration)
    }

    public func setNodesPerPhase(_ counts: [String: Int]) {
        for phase in Self.phases {
            registry.makeGauge(name: "kwasm_nodes", labels: [("phase", phase)], help: "Nodes with a WasmNodeStatus, by phase")
                .set(Double(counts[phase] ?? 0))
        }
    }

    public func setJobsInFlight(_ count: Int) { jobsInFlight.set(Double(count)) }

    /// Hook for ``KubernetesClient``'s request observer.
    public func observe(_ request: RequestRecord) {
        let code = request.statusCode.map(String.init) ?? "error"
        registry.makeCounter(
            name: "kwasm_api_requests_total", labels: [("verb", request.verb.rawValue), ("resource", request.resource), ("code", code)],
            help: "Kubernetes API requests by verb, resource and status code"
        ).increment()
    }

    public func text() -> String { registry.emitToString() }
}
