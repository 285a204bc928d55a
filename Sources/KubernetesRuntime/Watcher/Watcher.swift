import KubernetesClient
import Logging

/// The two requests a ``Watcher`` makes. Built from a ``KubernetesClient`` normally; tests may
/// supply their own closures.
public struct ListWatchSource<Object: KubernetesResource>: Sendable {
    /// One list page: `(items, continue token, list resourceVersion)`.
    public var listPage: @Sendable (_ continueToken: String?) async throws -> ObjectList<Object>
    /// A watch from `resourceVersion`.
    public var watch: @Sendable (_ resourceVersion: String) -> AsyncThrowingStream<WatchEvent<Object>, any Error>

    public init(
        listPage: @escaping @Sendable (_ continueToken: String?) async throws -> ObjectList<Object>,
        watch: @escaping @Sendable (_ resourceVersion: String) -> AsyncThrowingStream<WatchEvent<Object>, any Error>
    ) {
        self.listPage = listPage
        self.watch = watch
    }

    /// Lists and watches `Object` through `client`.
    ///
    /// - Parameters:
    ///   - namespace: `nil` watches all namespaces of a namespaced kind.
    ///   - pageSize: objects per list page.
    ///   - watchTimeout: the server ends each watch after a random time in this range (client-go
    ///     uses 5–10 minutes) so that connections get rebalanced; the watcher resumes seamlessly.
    ///   - decodesSpec: `false` leaves `spec` out of Jobs and Pods (see ``WatchOptions/decodesSpec``).
    public static func client(
        _ client: KubernetesClient, namespace: String? = nil, labelSelector: String? = nil,
        fieldSelector: String? = nil, pageSize: Int = 500, watchTimeout: ClosedRange<Int> = 300...600,
        decodesSpec: Bool = true
    ) -> ListWatchSource {
        ListWatchSource(
            listPage: { token in
                var options = ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector, limit: pageSize, continueToken: token)
                options.decodesSpec = decodesSpec
                return try await client.list(Object.self, namespace: namespace, options: options)
            },
            watch: { version in
                var options = WatchOptions(
                    labelSelector: labelSelector, fieldSelector: fieldSelector, resourceVersion: version,
                    allowBookmarks: true, timeoutSeconds: Int.random(in: watchTimeout))
                options.decodesSpec = decodesSpec
                return client.watch(Object.self, namespace: namespace, options: options)
            })
    }
}

/// Keeps an up-to-date view of one kind: lists, then watches, recovering from every failure
/// (see ``WatcherStateMachine``). Iterate it to receive ``WatcherEvent``s; it never ends on its
/// own and never throws — it stops when the iterating task is cancelled.
///
/// ```swift
/// let nodes = StoreWriter<Node>()
/// for await event in Watcher<Node>(client: client).reflect(into: nodes) { … }
/// ```
public struct Watcher<Object: KubernetesResource>: AsyncSequence, Sendable {
    public typealias Element = WatcherEvent<Object>

    private let source: ListWatchSource<Object>
    private let makeBackoff: @Sendable () -> Backoff
    private let stores: [StoreWriter<Object>]
    private let logger: Logger

    public init(source: ListWatchSource<Object>, backoff: @escaping @Sendable () -> Backoff = { .watcherDefault() }, logger: Logger = Logger(label: "kubernetes-runtime.watcher")) {
        self.source = source
        self.makeBackoff = backoff
        self.stores = []
        var logger = logger
        logger[metadataKey: "kind"] = "\(Object.resource.kind)"
        self.logger = logger
    }

    /// Watches `Object` through `client`; see ``ListWatchSource/client(_:namespace:labelSelector:fieldSelector:pageSize:watchTimeout:decodesSpec:)``.
    public init(
        client: KubernetesClient, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
        decodesSpec: Bool = true, logger: Logger = Logger(label: "kubernetes-runtime.watcher")
    ) {
        self.init(
            source: .client(
                client, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector,
                decodesSpec: decodesSpec),
            logger: logger)
    }

    private init(copying other: Watcher, stores: [StoreWriter<Object>]) {
        source = other.source
        makeBackoff = other.makeBackoff
        logger = other.logger
        self.stores = stores
    }

    /// The same watcher, also applying every event to `store` before handing it on.
    public func reflect(into store: StoreWriter<Object>) -> Watcher {
        if stores.contains(where: { $0 === store }) { return self }
        return Watcher(copying: self, stores: stores + [store])
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(source: source, machine: WatcherStateMachine(backoff: makeBackoff()), stores: stores, logger: logger)
    }

    public struct Iterator: AsyncIteratorProtocol {
        private let source: ListWatchSource<Object>
        private var machine: WatcherStateMachine<Object>
        private let stores: [StoreWriter<Object>]
        private let logger: Logger
        private var pending: WatcherStateMachine<Object>.Action?
        private var stream: AsyncThrowingStream<WatchEvent<Object>, any Error>.Iterator?

        init(source: ListWatchSource<Object>, machine: WatcherStateMachine<Object>, stores: [StoreWriter<Object>], logger: Logger) {
            self.source = source
            self.machine = machine
            self.stores = stores
            self.logger = logger
        }

        public mutating func next() async -> WatcherEvent<Object>? {
            var action = pending ?? machine.start()
            while !Task.isCancelled {
                switch action {
                case .list(let token):
                    do {
                        let page = try await source.listPage(token)
                        action = machine.listPageReceived(
                            page.items, continue: page.metadata.continueToken,
                            resourceVersion: page.metadata.resourceVersion ?? "")
                    } catch {
                        action = failed(error, while: "list")
                    }
                case .emitAndWatch(let event, let version):
                    pending = .watch(resourceVersion: version)
                    return deliver(event)
                case .watch(let version):
                    logger.trace("watching", metadata: ["resourceVersion": "\(version)"])
                    stream = source.watch(version).makeAsyncIterator()
                    action = .keepWatching
                case .keepWatching, .emit:
                    if case .emit(let event) = action {
                        pending = .keepWatching
                        return deliver(event)
                    }
                    do {
                        guard let event = try await stream?.next() else {
                            stream = nil
                            action = machine.watchEnded()
                            continue
                        }
                        action = machine.watchEventReceived(Self.input(event))
                        if case .wait = action {
                            stream = nil
                            if case .error(let status) = event {
                                logger.info(
                                    "watch reported an error; relisting",
                                    metadata: ["code": "\(status.code ?? 0)", "reason": "\(status.reason ?? "")", "message": "\(status.message ?? "")"])
                            }
                        }
                    } catch {
                        stream = nil
                        action = failed(error, while: "watch")
                    }
                case .wait(let delay):
                    do {
                        try await Task.sleep(for: delay)
                    } catch {
                        return nil
                    }
                    action = machine.backoffElapsed()
                }
            }
            return nil
        }

        private func deliver(_ event: WatcherEvent<Object>) -> WatcherEvent<Object> {
            for store in stores { store.apply(event) }
            return event
        }

        private mutating func failed(_ error: any Error, while step: String) -> WatcherStateMachine<Object>.Action {
            let gone = error.kubernetesError?.isGone ?? false
            let action = machine.requestFailed(gone ? .gone : .transient)
            if !Task.isCancelled {
                logger.warning(
                    "\(step) failed; retrying", metadata: ["error": "\(error)", "relist": "\(gone)", "retryIn": "\(action)"])
            }
            return action
        }

        static func input(_ event: WatchEvent<Object>) -> WatcherStateMachine<Object>.WatchInput {
            switch event {
            case .added(let object): .added(object, resourceVersion: object.metadata.resourceVersion)
            case .modified(let object): .modified(object, resourceVersion: object.metadata.resourceVersion)
            case .deleted(let object): .deleted(object, resourceVersion: object.metadata.resourceVersion)
            case .bookmark(let version): .bookmark(resourceVersion: version)
            case .error(let status): .error(code: status.code)
            }
        }
    }
}
