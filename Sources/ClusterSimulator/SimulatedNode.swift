import FakeKubernetesAPI

/// A Node as the simulated cluster registers it.
public struct SimulatedNode: Sendable {
    public var name: String
    public var labels: [String: String]
    public var annotations: [String: String]
    public var machineID: String
    public var bootID: String
    public var containerRuntimeVersion: String
    /// `nil`: the kubelet does not publish `status.runtimeHandlers` (before Kubernetes 1.30).
    public var runtimeHandlers: [String]?
    public var ready: Bool

    public init(
        name: String, labels: [String: String] = [:], annotations: [String: String] = [:], machineID: String? = nil,
        bootID: String = "boot-1", containerRuntimeVersion: String = "containerd://1.6.20", runtimeHandlers: [String]? = nil,
        ready: Bool = true
    ) {
        self.name = name
        self.labels = labels
        self.annotations = annotations
        self.machineID = machineID ?? "machine-\(name)"
        self.bootID = bootID
        self.containerRuntimeVersion = containerRuntimeVersion
        self.runtimeHandlers = runtimeHandlers
        self.ready = ready
    }

    var json: JSONValue {
        var status: [String: JSONValue] = [
            "nodeInfo": [
                "machineID": .string(machineID), "bootID": .string(bootID),
                "containerRuntimeVersion": .string(containerRuntimeVersion), "kubeletVersion": "v1.32.0",
                "operatingSystem": "linux", "architecture": "amd64",
            ],
            "conditions": [["type": "Ready", "status": ready ? "True" : "False", "reason": ready ? "KubeletReady" : "KubeletNotReady"]],
        ]
        if let runtimeHandlers {
            status["runtimeHandlers"] = .array(([""] + runtimeHandlers).map { ["name": .string($0)] })
        }
        var metadata: [String: JSONValue] = ["name": .string(name)]
        if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues { .string($0) }) }
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations.mapValues { .string($0) }) }
        return ["apiVersion": "v1", "kind": "Node", "metadata": .object(metadata), "status": .object(status)]
    }
}
