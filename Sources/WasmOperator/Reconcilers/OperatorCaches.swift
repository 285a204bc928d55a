import KubernetesClient
import KubernetesRuntime

/// The write side of the operator's caches, one per watched kind, with the indexes the
/// reconcilers query. ``KwasmOperator`` feeds them from its watches; reconcilers read their
/// stores through ``OperatorContext``. Each store keeps its indexes and our own writes with its
/// objects, so no watch has to feed several structures in the right order.
struct OperatorCaches: Sendable {
    /// Jobs and Pods by the node they serve (`kwasm.sh/node`): a reconcile reads one node's
    /// objects instead of scanning the cache, which made a rollout O(N²).
    static let byNode = "node"
    /// Jobs holding a rollout slot (``RolloutGate/node(holdingSlotBy:)``), by node: a small
    /// set read on every reconcile.
    static let rolloutSlot = "rolloutSlot"
    /// Nodes selected for wasm runtimes, under "true": the fleet size behind the auto rollout
    /// cap, current the moment a node is annotated.
    static let selected = "selected"

    let nodes: StoreWriter<Node>
    let statuses = StoreWriter<WasmNodeStatus>()
    let jobs = StoreWriter<Job>(indexers: [
        OperatorCaches.nodeAnnotation(),
        StoreIndexer(OperatorCaches.rolloutSlot) { RolloutGate.node(holdingSlotBy: $0).map { [$0] } ?? [] },
    ])
    let pods = StoreWriter<Pod>(indexers: [OperatorCaches.nodeAnnotation()])
    let runtimeClasses = StoreWriter<RuntimeClass>()

    init(configuration: OperatorConfiguration) {
        nodes = StoreWriter(indexers: [
            StoreIndexer(Self.selected) { node in
                let selection = NodeSelection(
                    labels: node.metadata.labels ?? [:], annotations: node.metadata.annotations ?? [:],
                    configuration: configuration)
                return selection.isSelected ? ["true"] : []
            },
        ])
    }

    private static func nodeAnnotation<Object: KubernetesResource>() -> StoreIndexer<Object> {
        StoreIndexer(byNode) { object in object.metadata.annotations?[WellKnown.nodeNameAnnotation].map { [$0] } ?? [] }
    }
}
