import KubernetesClient
import KubernetesRuntime
import Synchronization

/// The names of the nodes selected for wasm runtimes, kept from the Node watch's events, so the
/// auto rollout cap (1 per 10 selected nodes) follows the fleet the moment a node is annotated.
/// A periodic recount of the cache held the cap at its old value for up to a second, which at
/// the start of a rollout (few nodes annotated yet) is 1.
final class SelectedNodes: Sendable {
    private let names = Mutex<Set<String>>([])
    private let configuration: OperatorConfiguration

    init(configuration: OperatorConfiguration) {
        self.configuration = configuration
    }

    var count: Int { names.withLock { $0.count } }

    func apply(_ event: WatcherEvent<Node>) {
        names.withLock { names in
            switch event {
            case .restarted(let nodes):
                names = Set(nodes.compactMap { isSelected($0) ? $0.metadata.name : nil })
            case .applied(let node):
                guard let name = node.metadata.name else { return }
                if isSelected(node) { names.insert(name) } else { names.remove(name) }
            case .deleted(let node):
                guard let name = node.metadata.name else { return }
                names.remove(name)
            }
        }
    }

    private func isSelected(_ node: Node) -> Bool {
        NodeSelection(
            labels: node.metadata.labels ?? [:], annotations: node.metadata.annotations ?? [:],
            configuration: configuration
        ).isSelected
    }
}
