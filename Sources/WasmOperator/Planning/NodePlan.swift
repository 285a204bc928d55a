import Foundation
import KubernetesClient

/// Everything the planner reads about one node. Built by the reconciler from its caches.
public struct NodePlanInput: Sendable {
    public var nodeName: String
    /// `nil` when the Node is gone (its Jobs and status are garbage-collected through ownerReferences).
    public var node: Node?
    public var status: WasmNodeStatus?
    /// This node's installer Jobs.
    public var jobs: [InstallerJobObservation]
    public var configuration: OperatorConfiguration
    public var specHash: String
    public var now: Date
    /// `kwasm-operator cleanup`: every node is treated as not selected.
    public var cleanup: Bool

    public init(
        nodeName: String, node: Node?, status: WasmNodeStatus?, jobs: [InstallerJobObservation],
        configuration: OperatorConfiguration, specHash: String? = nil, now: Date, cleanup: Bool = false
    ) {
        self.nodeName = nodeName
        self.node = node
        self.status = status
        self.jobs = jobs
        self.configuration = configuration
        self.specHash = specHash ?? SpecHash.compute(configuration)
        self.now = now
        self.cleanup = cleanup
    }
}

/// The changes that bring one node closer to what it should be. Empty when converged.
public struct NodePlan: Sendable, Equatable {
    public enum LabelChange: Sendable, Equatable { case set, remove }

    public struct JobStart: Sendable, Equatable {
        public var operation: InstallerOperation
        public var attempt: Int
    }

    public struct PlannedEvent: Sendable, Equatable {
        public var type: String
        public var reason: String
        public var note: String
        public var action: String

        public static func warning(_ reason: NodeReason, _ note: String, action: String) -> PlannedEvent {
            PlannedEvent(type: "Warning", reason: reason.rawValue, note: note, action: action)
        }
    }

    /// Create the WasmNodeStatus object (metadata and spec; status follows in `status`).
    public var createStatusObject: WasmNodeStatus?
    /// The new `.status`, when it differs from the stored one.
    public var status: WasmNodeStatus.Status?
    public var deleteStatusObject = false
    /// Annotations to merge-patch onto the WasmNodeStatus (recorded boot ID / runtime version).
    public var statusAnnotations: [String: String]?
    public var label: LabelChange?
    public var deleteJobs: [String] = []
    public var startJob: JobStart?
    public var events: [PlannedEvent] = []
    public var requeueAfter: Duration?
    /// Where the node stood when planned (for logs and tests; carried out by nothing).
    public var state: NodeState = .absent
    /// Set when `startJob` needs a rollout slot: the plan to carry out instead if the
    /// ``RolloutGate`` has none. Computed with the rest, so the planner never runs twice.
    public var ifNoSlot: Alternative?

    public indirect enum Alternative: Sendable, Equatable {
        case plan(NodePlan)
    }

    public init() {}

    /// Whether carrying out the plan writes to the API server.
    public var hasWrites: Bool {
        createStatusObject != nil || status != nil || deleteStatusObject || statusAnnotations != nil
            || label != nil || !deleteJobs.isEmpty || startJob != nil || !events.isEmpty
    }

    /// Whether carrying out the plan needs a rollout slot (its Job restarts containerd).
    public var needsRolloutSlot: Bool { startJob?.operation.needsRolloutSlot == true }

    /// The plan to carry out: this one when a slot was granted (or none is needed), else the waiting one.
    public func resolved(slotGranted: Bool) -> NodePlan {
        guard !slotGranted, case .plan(let waiting)? = ifNoSlot else { return self }
        return waiting
    }

    mutating func requeue(after delay: Duration) {
        let delay = max(delay, .milliseconds(100))
        requeueAfter = requeueAfter.map { min($0, delay) } ?? delay
    }
}

/// Condition types of a WasmNodeStatus.
public enum ConditionType {
    public static let installed = "Installed"
    public static let runtimeVerified = "RuntimeVerified"
    public static let ready = "Ready"
    public static let drifted = "Drifted"
}

extension Date {
    /// Kubernetes times have whole seconds; planning in whole seconds keeps re-plans identical.
    var wholeSeconds: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}
