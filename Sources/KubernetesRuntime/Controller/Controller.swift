import KubernetesClient
import Logging
import ServiceLifecycle
import Synchronization

/// Runs a reconciler for one kind (kube-rs's `Controller`).
///
/// Objects come from a ``Store`` kept current by a ``Watcher``; the reconciler gets the cached
/// object and the shared `context` (where side effects live: client, recorder, settings).
/// Reconciling starts only once the primary store and every cache passed to
/// ``waitsForSync(of:)`` hold a complete list (controller-runtime's `WaitForCacheSync`), so a
/// reconciler never plans from a half-filled cache.
/// Keys reach the work queue from the primary kind's events, from owned objects (their
/// `ownerReferences` name the primary object) and from mapped kinds (a closure names the
/// primary objects affected). At most `maxConcurrency` reconciles run at once, never two for
/// the same object.
///
/// With a ``LeaderElector`` the controller reconciles only while this process leads: on
/// acquiring leadership it reconciles every cached object, on losing it it cancels the running
/// reconciles and waits. On graceful shutdown it stops taking work and lets running reconciles
/// finish. Each reconcile is counted and timed for the ``ReconcileObserver`` (controller-runtime's
/// `reconcileHandler`), so reconcilers carry no metrics code.
///
/// ```swift
/// let nodes = StoreWriter<Node>()
/// var controller = Controller(store: nodes.store, context: context, reconcile: reconcileNode, errorPolicy: { _, _, _ in .requeueWithBackoff })
/// controller.watches(Watcher<Node>(client: client).reflect(into: nodes))
/// controller.owns(Watcher<Job>(client: client, namespace: "kwasm"))
/// controller.watches(Watcher<Lease>(client: client)) { lease in [ObjectKey(name: lease.spec?.holderIdentity ?? "")] }
/// ```
public struct Controller<Object: KubernetesResource, Context: Sendable>: Service {
    public typealias Reconcile = @Sendable (_ object: Object, _ context: Context) async throws -> ReconcileAction

    /// Feeds keys to the queue until cancelled.
    typealias Trigger = @Sendable (_ enqueue: @escaping @Sendable ([ObjectKey]) -> Void) async -> Void

    public let store: Store<Object>
    public let context: Context
    public let maxConcurrency: Int
    /// The `controller` label of the reconcile metrics.
    public let name: String
    private let reconcile: Reconcile
    private let errorPolicy: ErrorPolicy<Object, Context>
    private let elector: LeaderElector?
    private let logger: Logger
    private let observer: (any ReconcileObserver)?
    private var triggers: [Trigger] = []
    private var caches: [any SyncableCache]
    /// The queue of the current leadership term, shared with the triggers.
    private let queueBox = LockedBox<WorkQueue<ObjectKey>?>(nil)

    /// - Parameters:
    ///   - store: the primary kind's cache; feed it with `watches(_:)` and a `Watcher.reflect(into:)`.
    ///   - name: the `controller` label of the reconcile metrics; the kind's name by default.
    ///   - elector: reconcile only while it leads; `nil` always reconciles.
    ///   - observer: told about every reconcile (count, duration, failure).
    ///   - errorPolicy: what to do when `reconcile` throws.
    public init(
        store: Store<Object>, context: Context, name: String? = nil, maxConcurrency: Int = 4, elector: LeaderElector? = nil,
        observer: (any ReconcileObserver)? = nil, logger: Logger = Logger(label: "kubernetes-runtime.controller"),
        reconcile: @escaping Reconcile,
        errorPolicy: @escaping ErrorPolicy<Object, Context> = { _, _, _ in .requeueWithBackoff }
    ) {
        self.store = store
        self.context = context
        self.maxConcurrency = maxConcurrency
        self.name = name ?? Object.resource.kind.lowercased()
        self.elector = elector
        self.observer = observer
        self.caches = [store]
        var logger = logger
        logger[metadataKey: "controller"] = "\(Object.resource.kind)"
        self.logger = logger
        self.reconcile = reconcile
        self.errorPolicy = errorPolicy
    }

    /// Reconciles the primary objects named by the events of `events`, normally the primary kind's
    /// watcher reflected into ``store``. A relist reconciles every object in it.
    public mutating func watches<Events: AsyncSequence & Sendable>(_ events: Events)
    where Events.Element == WatcherEvent<Object> {
        triggers.append(Self.trigger(events) { [ObjectKey($0)] })
    }

    /// Starts reconciling only once `caches` (read by the reconciler) have synced too.
    public mutating func waitsForSync(of caches: [any SyncableCache]) {
        self.caches += caches
    }

    /// Reconciles the owners (by `ownerReferences` of kind `Object`) of the objects in `events`.
    /// The owner's namespace is the owned object's namespace for namespaced primary kinds.
    public mutating func owns<Owned: KubernetesResource, Events: AsyncSequence & Sendable>(_ events: Events)
    where Events.Element == WatcherEvent<Owned> {
        triggers.append(Self.trigger(events) { owned in Self.ownerKeys(of: owned) })
    }

    /// Reconciles the primary objects `mapper` names for each object in `events`.
    public mutating func watches<Other: KubernetesResource, Events: AsyncSequence & Sendable>(
        _ events: Events, mapping mapper: @escaping @Sendable (Other) -> [ObjectKey]
    ) where Events.Element == WatcherEvent<Other> {
        triggers.append(Self.trigger(events, mapper))
    }

    /// Queues a reconcile of `key` from outside (e.g. a periodic timer); ignored while not leading.
    public func enqueue(_ key: ObjectKey) {
        queueBox.value?.add(key)
    }

    /// Queues a reconcile of `key` ahead of the keys already waiting, e.g. one whose wait would
    /// leave something scarce idle; ignored while not leading.
    public func enqueueFirst(_ key: ObjectKey) {
        queueBox.value?.addFirst(key)
    }

    /// The keys of `Object` owners in `owned`'s ownerReferences.
    static func ownerKeys<Owned: KubernetesResource>(of owned: Owned) -> [ObjectKey] {
        let namespace = Object.resource.namespaced ? owned.metadata.namespace : nil
        return (owned.metadata.ownerReferences ?? []).compactMap { reference in
            guard reference.kind == Object.resource.kind, reference.apiVersion == Object.resource.apiVersion else { return nil }
            return ObjectKey(namespace: namespace, name: reference.name)
        }
    }

    /// A trigger that remembers which keys each watched object mapped to, so that when an object
    /// changes, is deleted, or disappears in a relist, the keys it used to map to are reconciled too.
    static func trigger<Other: KubernetesResource, Events: AsyncSequence & Sendable>(
        _ events: Events, _ mapper: @escaping @Sendable (Other) -> [ObjectKey]
    ) -> Trigger where Events.Element == WatcherEvent<Other> {
        { enqueue in
            var mapped: [ObjectKey: [ObjectKey]] = [:]
            do {
                for try await event in events {
                    var keys: [ObjectKey] = []
                    switch event {
                    case .restarted(let objects):
                        let fresh = Dictionary(objects.map { (ObjectKey($0), mapper($0)) }, uniquingKeysWith: { _, last in last })
                        keys = mapped.values.flatMap { $0 } + fresh.values.flatMap { $0 }
                        mapped = fresh
                    case .applied(let object):
                        let now = mapper(object)
                        keys = (mapped.updateValue(now, forKey: ObjectKey(object)) ?? []) + now
                    case .deleted(let object):
                        keys = (mapped.removeValue(forKey: ObjectKey(object)) ?? []) + mapper(object)
                    }
                    var seen = Set<ObjectKey>()
                    enqueue(keys.filter { seen.insert($0).inserted })
                }
            } catch {
                // Watchers do not throw; other sequences ending in an error just stop triggering.
            }
        }
    }

    /// Runs the triggers and reconciles until graceful shutdown or cancellation.
    ///
    /// Returns only then, even if its ``LeaderElector`` stops first (in a ServiceGroup that lists
    /// the elector after the controller, it releases the lease before the shutdown reaches the
    /// controller): a service that returns on its own counts as finished unexpectedly.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for trigger in triggers {
                group.addTask {
                    await cancelWhenGracefulShutdownIgnoringErrors {
                        await trigger { keys in
                            guard let queue = queueBox.value else { return }
                            for key in keys { queue.add(key) }
                        }
                    }
                }
            }
            if let elector {
                await runWhileLeading(elector)
            } else {
                await runQueue()
            }
            // Reconciling is over; stop watching.
            group.cancelAll()
        }
    }

    /// One term of work: a fresh queue seeded with every cached key, run until it drains.
    private func runQueue() async {
        // Not before the caches hold a complete list: a reconcile would plan from a partial one.
        // Keys of events until then are not lost: the queue is seeded from the store below.
        guard await cachesSynced() else { return }
        let queue = WorkQueue<ObjectKey>(maxConcurrency: maxConcurrency)
        queueBox.value = queue
        defer { queueBox.value = nil }
        // The elector may have asked to drain before this queue existed.
        if elector?.isDraining == true { queue.shutDown() }
        await withGracefulShutdownHandler {
            // Seed after publishing the queue, so no event between the two is lost. Keys from the
            // initial list also arrive via the primary trigger's `.restarted`; duplicates merge.
            for key in store.keys { queue.add(key) }
            await queue.run { key in await process(key, queue: queue) }
        } onGracefulShutdown: {
            queue.shutDown()
        }
    }

    /// Waits for every cache; false when graceful shutdown or cancellation came first.
    private func cachesSynced() async -> Bool {
        await cancelWhenGracefulShutdown { [caches] in
            for cache in caches { await cache.waitUntilSynced() }
        }
        return caches.allSatisfy(\.isSynced) && !Task.isCancelled
    }

    private func runWhileLeading(_ elector: LeaderElector) async {
        let term = LockedBox<Task<Void, Never>?>(nil)
        await withTaskCancellationHandler {
            // Follow leadership until the elector stops or graceful shutdown begins.
            await cancelWhenGracefulShutdown { [self] in
                await withDiscardingTaskGroup { group in
                    // The elector is shutting down gracefully: finish running reconciles, take no
                    // new ones; it releases the lease once we are done.
                    group.addTask {
                        for await drain in elector.drainRequests() where drain {
                            queueBox.value?.shutDown()
                        }
                    }
                    await followLeadership(elector, term: term)
                    group.cancelAll()
                }
                // The elector stopped first: it released the lease in a graceful shutdown that has
                // not reached us yet (a ServiceGroup shuts its services down one by one, in reverse),
                // or it failed. Returning now would make the ServiceGroup count this controller as
                // "finished unexpectedly" and cancel everything; stay, not leading, until our own
                // graceful shutdown or cancellation.
                try? await gracefulShutdown()
            }
            // Graceful shutdown: the current term stops taking work and finishes what runs.
            queueBox.value?.shutDown()
            await term.value?.value
        } onCancel: {
            term.value?.cancel()
        }
    }

    /// Starts a term of reconciling when leadership is acquired, cancels it when it is lost.
    private func followLeadership(_ elector: LeaderElector, term: LockedBox<Task<Void, Never>?>) async {
        for await leading in elector.leadershipChanges() {
            if leading, term.value == nil {
                // The elector refuses new terms once it is shutting down.
                guard elector.termStarted() else { continue }
                logger.info("leading: starting reconcilers")
                // Inherits the task locals, so graceful shutdown reaches the queue.
                term.value = Task {
                    await runQueue()
                    elector.termEnded()
                }
            } else if !leading, let running = term.value {
                logger.info("not leading: stopping reconcilers")
                // At once: another replica may already be reconciling.
                running.cancel()
                await running.value
                term.value = nil
            }
        }
    }

    private func process(_ key: ObjectKey, queue: WorkQueue<ObjectKey>) async {
        guard let object = store.get(key) else {
            // Deleted meanwhile: nothing to reconcile (dependents go via ownerReferences).
            queue.forget(key)
            return
        }
        var logger = logger
        logger[metadataKey: "object"] = "\(key)"
        let action: ReconcileAction
        let start = ContinuousClock.now
        do {
            action = try await reconcile(object, context)
            observer?.reconciled(controller: name, duration: ContinuousClock.now - start, failed: false)
            queue.forget(key)
            logger.trace("reconciled", metadata: ["next": "\(action)"])
        } catch where Task.isCancelled {
            // Leadership was lost or the controller is stopping: not a failure of the object.
            observer?.reconciled(controller: name, duration: ContinuousClock.now - start, failed: true)
            logger.debug("reconcile cancelled", metadata: ["error": "\(error)"])
            return
        } catch {
            observer?.reconciled(controller: name, duration: ContinuousClock.now - start, failed: true)
            action = errorPolicy(error, object, context)
            logger.warning("reconcile failed", metadata: ["error": "\(error)", "next": "\(action)"])
        }
        switch action {
        case .done:
            break
        case .requeue(let delay):
            queue.add(key, after: delay)
        case .requeueWithBackoff:
            queue.addAfterFailure(key)
        }
    }
}


private func cancelWhenGracefulShutdownIgnoringErrors(_ operation: @escaping @Sendable () async -> Void) async {
    await cancelWhenGracefulShutdown {
        await operation()
    }
}
