import FakeKubernetesAPI

/// What the simulated kubelet knows about an installer Job it is about to run.
public struct InstallerJobRequest: Sendable {
    public var jobName: String
    public var namespace: String
    public var nodeName: String
    /// `install`, `uninstall` or `status` (the Job's `kwasm.sh/operation` label).
    public var operation: String
    public var command: [String]
    public var environment: [String: String]
    public var image: String

    init(job: JSONValue) {
        jobName = job["metadata"]?["name"]?.stringValue ?? ""
        namespace = job["metadata"]?["namespace"]?.stringValue ?? ""
        let podSpec = job["spec"]?["template"]?["spec"]
        nodeName = podSpec?["nodeName"]?.stringValue ?? job["metadata"]?["annotations"]?["kwasm.sh/node"]?.stringValue ?? ""
        operation = job["metadata"]?["labels"]?["kwasm.sh/operation"]?.stringValue ?? ""
        let container = podSpec?["containers"]?.arrayValue?.first
        command = (container?["command"]?.arrayValue ?? []).compactMap(\.stringValue)
            + (container?["args"]?.arrayValue ?? []).compactMap(\.stringValue)
        var environment: [String: String] = [:]
        for variable in container?["env"]?.arrayValue ?? [] {
            if let name = variable["name"]?.stringValue, let value = variable["value"]?.stringValue { environment[name] = value }
        }
        self.environment = environment
        image = container?["image"]?.stringValue ?? ""
    }
}

/// How a simulated installer container ends.
public enum InstallerJobOutcome: Sendable {
    /// Exit 0 with this termination message (the installer's JSON report).
    case succeeded(report: String)
    /// Non-zero exit, with the report when the installer wrote one.
    case failed(exitCode: Int32, report: String?)
    /// The Job's activeDeadlineSeconds passed: the Pod is killed, the Job fails with `DeadlineExceeded`.
    case deadlineExceeded
    /// Never finishes (until the Job is deleted).
    case hang
}
