/// What a reconciler (or its error policy) wants to happen next for the object it handled.
public enum ReconcileAction: Sendable, Hashable {
    /// Nothing until the object or something it depends on changes.
    case done
    /// Reconcile again after `delay` (e.g. a periodic drift check), unless a change comes first.
    case requeue(after: Duration)
    /// Retry after the key's exponential failure backoff (5 ms, doubling, up to 5 min); the
    /// backoff grows with each consecutive failure and resets after a success.
    case requeueWithBackoff
}

/// Maps a reconcile failure to what happens next. The default retries with per-key exponential backoff.
public typealias ErrorPolicy<Object: Sendable, Context: Sendable> =
    @Sendable (_ error: any Error, _ object: Object, _ context: Context) -> ReconcileAction
