/// Told about every reconcile a ``Controller`` runs, e.g. to export Prometheus metrics
/// (controller-runtime's `controller_runtime_reconcile_total` and friends).
public protocol ReconcileObserver: Sendable {
    /// One reconcile of `controller` finished after `duration`; `failed` when it threw.
    func reconciled(controller: String, duration: Duration, failed: Bool)
}
