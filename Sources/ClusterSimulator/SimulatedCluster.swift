import FakeKubernetesAPI
import Foundation
import Logging
import Synchronization

/// A cluster around a ``FakeAPIServer``: nodes, plus a simulated kubelet and Job controller
/// that run installer Jobs. For each new Job it creates the Pod (labels, annotations and owner
/// as the Job controller would), asks `behavior` how the installer ends, then marks the Pod
/// terminated with that termination message and the Job Complete or Failed.
public final class SimulatedCluster: Sendable {
    public typealias Behavior = @Sendable (InstallerJobRequest) async -> InstallerJobOutcome

    public let api: FakeAPIServer
    let logger: Logger
    let behavior: Mutex<Behavior>
    let stats = Mutex(Statistics())
    let runner = Mutex<Task<Void, Never>?>(nil)
    /// Whether the simulated kubelet publishes installed handlers in `node.status.runtimeHandlers`.
    let publishRuntimeHandlers: Bool

    /// What the simulated kubelet saw: for the rollout-cap and duplicate-Job assertions.
    public struct Statistics: Sendable {
        /// Jobs created, by name, in order.
        public var jobsCreated: [String] = []
        /// Install/uninstall Jobs running now, by node.
        public var running: Set<String> = []
        /// The most install/uninstall Jobs that ever ran at once.
        public var maxConcurrent = 0
        /// Jobs that ran for each node (operation, in order).
        public var operationsByNode: [String: [String]] = [:]
        /// When each Job was created and finished (for latency measurements).
        public var createdAt: [String: ContinuousClock.Instant] = [:]
        public var finishedAt: [String: ContinuousClock.Instant] = [:]
    }

    public init(
        api: FakeAPIServer, logger: Logger = Logger(label: "cluster-simulator"),
        behavior: @escaping Behavior = SimulatedCluster.succeedAfter(.milliseconds(50)), publishRuntimeHandlers: Bool = false
    ) {
        self.api = api
        self.publishRuntimeHandlers = publishRuntimeHandlers
        self.logger = logger
        self.behavior = Mutex(behavior)
    }

    /// Succeeds every Job after `delay`, reporting the runtimes from the Job's `KWASM_RUNTIMES`.
    public static func succeedAfter(_ delay: Duration) -> Behavior {
        { request in
            try? await Task.sleep(for: delay)
            return .succeeded(report: defaultReport(for: request))
        }
    }

    public static func defaultReport(for request: InstallerJobRequest) -> String {
        switch request.operation {
        case "uninstall": return InstallerReports.uninstalled()
        case "status": return InstallerReports.status(drift: [])
        default:
            let runtimes = (request.environment["KWASM_RUNTIMES"] ?? "").split(separator: ",").map(String.init)
            return InstallerReports.installed(runtimes: runtimes)
        }
    }

    public func setBehavior(_ behavior: @escaping Behavior) {
        self.behavior.withLock { $0 = behavior }
    }

    public var statistics: Statistics { stats.withLock { $0 } }

    // MARK: - Nodes

    @discardableResult
    public func addNode(_ node: SimulatedNode) throws -> JSONValue {
        try api.create(.nodes, node.json)
    }

    public func annotate(_ node: String, _ key: String, _ value: String?) throws {
        try api.mergePatch(.nodes, name: node, ["metadata": ["annotations": [key: value.map { .string($0) } ?? .null]]])
    }

    public func label(_ node: String, _ key: String, _ value: String?) throws {
        try api.mergePatch(.nodes, name: node, ["metadata": ["labels": [key: value.map { .string($0) } ?? .null]]])
    }

    public func setNodeInfo(_ node: String, bootID: String? = nil, containerRuntimeVersion: String? = nil) throws {
        var info: [String: JSONValue] = [:]
        if let bootID { info["bootID"] = .string(bootID) }
        if let containerRuntimeVersion { info["containerRuntimeVersion"] = .string(containerRuntimeVersion) }
        try api.mergePatch(.nodes, name: node, ["status": ["nodeInfo": .object(info)]])
    }

    public func setRuntimeHandlers(_ node: String, _ handlers: [String]) throws {
        try api.mergePatch(.nodes, name: node, ["status": ["runtimeHandlers": .array(([""] + handlers).map { ["name": .string($0)] })]])
    }

    public func deleteNode(_ node: String) throws {
        try api.delete(.nodes, name: node)
    }

    // MARK: - Kubelet and Job controller

    /// Starts running Jobs (idempotent). Jobs that already exist are picked up too.
    public func start() {
        runner.withLock { runner in
            guard runner == nil else { return }
            let changes = api.changes(of: .jobs)
            let existing = (try? api.list(.jobs)) ?? []
            runner = Task { [self] in
                await withTaskGroup(of: Void.self) { group in
                    for job in existing where !isFinished(job) {
                        group.addTask { await self.run(job) }
                    }
                    for await change in changes {
                        guard change.type == .added else { continue }
                        let job = change.object
                        group.addTask { await self.run(job) }
                    }
                }
            }
        }
    }

    public func stop() {
        runner.withLock { $0?.cancel(); $0 = nil }
    }

    func isFinished(_ job: JSONValue) -> Bool {
        (job["status"]?["conditions"]?.arrayValue ?? []).contains {
            ($0["type"]?.stringValue == "Complete" || $0["type"]?.stringValue == "Failed") && $0["status"]?.stringValue == "True"
        }
    }

    func run(_ job: JSONValue) async {
        let request = InstallerJobRequest(job: job)
        let name = request.jobName
        let namespace = request.namespace
        let slotted = request.operation != "status"
        stats.withLock { stats in
            stats.jobsCreated.append(name)
            stats.operationsByNode[request.nodeName, default: []].append(request.operation)
            stats.createdAt[name] = .now
            if slotted {
                stats.running.insert(request.nodeName)
                stats.maxConcurrent = max(stats.maxConcurrent, stats.running.count)
            }
        }
        defer {
            stats.withLock { stats in
                if slotted { stats.running.remove(request.nodeName) }
                stats.finishedAt[name] = .now
            }
        }
        let podName = "\(name.prefix(57))-\(String(UInt32.random(in: 0...UInt32.max), radix: 36).prefix(5))"
        let pod = Self.installerPod(named: podName, of: job, request: request)
        do {
            try api.create(.pods, pod, namespace: namespace)
            try api.modify(.jobs, namespace: namespace, name: name) { job in
                job["status"] = ["active": 1, "startTime": .string(Self.now())]
            }
        } catch {
            return  // the Job (or its namespace) went away
        }
        let outcome = await behavior.withLock { $0 }(request)
        if Task.isCancelled { return }
        let finished = Self.now()
        let (exitCode, message, jobCondition): (Int32, String?, (String, String)?) = switch outcome {
        case .succeeded(let report): (0, report, ("Complete", ""))
        case .failed(let code, let report): (code, report, ("Failed", "BackoffLimitExceeded"))
        case .deadlineExceeded: (137, nil, ("Failed", "DeadlineExceeded"))
        case .hang: (0, nil, nil)
        }
        guard let (type, reason) = jobCondition else {
            while !Task.isCancelled, api.get(.jobs, namespace: namespace, name: name) != nil {
                try? await Task.sleep(for: .milliseconds(200))
            }
            return
        }
        do {
            try record(
                exit: exitCode, message: message, condition: (type, reason), at: finished, job: name, pod: podName,
                namespace: namespace)
            if publishRuntimeHandlers, exitCode == 0, let message { try publishHandlers(node: request.nodeName, report: message) }
        } catch {
            // Deleted mid-run (node gone, Job deleted): nothing to report.
        }
    }

    /// The Pod the Job controller would create for `job`, already running on its node.
    static func installerPod(named podName: String, of job: JSONValue, request: InstallerJobRequest) -> JSONValue {
        let name = request.jobName, namespace = request.namespace
        let template = job["spec"]?["template"]
        var labels = template?["metadata"]?["labels"]?.objectValue ?? [:]
        labels["job-name"] = .string(name)
        labels["batch.kubernetes.io/job-name"] = .string(name)
        var metadata: [String: JSONValue] = [
            "name": .string(podName), "namespace": .string(namespace), "labels": .object(labels),
            "ownerReferences": [[
                "apiVersion": "batch/v1", "kind": "Job", "name": .string(name),
                "uid": job["metadata"]?["uid"] ?? .string(""), "controller": true, "blockOwnerDeletion": true,
            ]],
        ]
        if let annotations = template?["metadata"]?["annotations"] { metadata["annotations"] = annotations }
        return [
            "apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata),
            "spec": template?["spec"] ?? [:],
            "status": ["phase": "Running", "containerStatuses": [["name": "installer", "ready": true, "state": ["running": ["startedAt": .string(Self.now())]]]]],
        ]
    }

    /// The container's exit on the Pod and the finished condition on the Job, as the kubelet and
    /// the Job controller write them.
    func record(
        exit exitCode: Int32, message: String?, condition: (type: String, reason: String), at finished: String,
        job name: String, pod podName: String, namespace: String
    ) throws {
        let (type, reason) = condition
        var terminated: [String: JSONValue] = [
            "exitCode": .int(Int64(exitCode)), "reason": exitCode == 0 ? "Completed" : "Error",
            "finishedAt": .string(finished),
        ]
        if let message { terminated["message"] = .string(message) }
        try api.modify(.pods, namespace: namespace, name: podName) { pod in
            pod["status"] = [
                "phase": exitCode == 0 ? "Succeeded" : "Failed",
                "containerStatuses": [["name": "installer", "ready": false, "state": ["terminated": .object(terminated)]]],
            ]
        }
        try api.modify(.jobs, namespace: namespace, name: name) { job in
            var status: [String: JSONValue] = [
                "startTime": job["status"]?["startTime"] ?? .string(finished),
                "conditions": [[
                    "type": .string(type), "status": "True", "lastTransitionTime": .string(finished),
                    "reason": reason.isEmpty ? .null : .string(reason),
                ].compactMapValues { $0.isNull ? nil : $0 }.jsonObject],
            ]
            if type == "Complete" {
                status["succeeded"] = 1
                status["completionTime"] = .string(finished)
            } else {
                status["failed"] = 1
            }
            job["status"] = .object(status)
        }
    }

    /// What a kubelet ≥ 1.30 does after containerd restarts with new handlers.
    func publishHandlers(node: String, report: String) throws {
        guard let parsed = try? JSONValue.parse(report) else { return }
        let handlers = (parsed["runtimes"]?.arrayValue ?? []).compactMap { $0["handler"]?.stringValue }
        switch parsed["operation"]?.stringValue {
        case "install": try setRuntimeHandlers(node, handlers)
        case "uninstall": try setRuntimeHandlers(node, [])
        default: break
        }
    }

    static func now() -> String {
        Timestamps.format(Date())
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    var jsonObject: JSONValue { .object(self) }
}
