import Foundation
import KubernetesClient

/// What the operator knows about one of its installer Jobs: which node and operation it is
/// for, whether it finished, and the installer's report from its Pod.
public struct InstallerJobObservation: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case running
        case succeeded
        /// Job-level failure, e.g. `DeadlineExceeded`, `BackoffLimitExceeded`.
        case failed(reason: String, message: String)
    }

    public var name: String
    public var nodeName: String
    public var operation: InstallerOperation
    public var specHash: String
    public var attempt: Int
    public var state: State
    public var report: InstallerReport?
    /// When the report could not be decoded: why.
    public var reportProblem: String?
    public var finishedAt: Date?
    public var createdAt: Date?

    public var isFinished: Bool { state != .running }

    public init(
        name: String, nodeName: String, operation: InstallerOperation, specHash: String, attempt: Int,
        state: State, report: InstallerReport? = nil, reportProblem: String? = nil, finishedAt: Date? = nil,
        createdAt: Date? = nil
    ) {
        self.name = name
        self.nodeName = nodeName
        self.operation = operation
        self.specHash = specHash
        self.attempt = attempt
        self.state = state
        self.report = report
        self.reportProblem = reportProblem
        self.finishedAt = finishedAt
        self.createdAt = createdAt
    }

    /// `nil` for Jobs that are not ours (missing labels or annotation).
    public init?(job: Job, pods: [Pod]) {
        let labels = job.metadata.labels ?? [:]
        guard labels[WellKnown.managedByLabel] == WellKnown.managedByValue,
              let operation = labels[WellKnown.operationLabel].flatMap(InstallerOperation.init(rawValue:)),
              let nodeName = job.metadata.annotations?[WellKnown.nodeNameAnnotation],
              let name = job.metadata.name else { return nil }
        self.name = name
        self.nodeName = nodeName
        self.operation = operation
        self.specHash = labels[WellKnown.specHashLabel] ?? ""
        self.attempt = job.metadata.annotations?[InstallerJobBuilder.attemptAnnotation].flatMap { Int($0) } ?? 1
        self.createdAt = job.metadata.creationTimestamp?.date

        let conditions = job.status?.conditions ?? []
        func trueCondition(_ type: String) -> Job.JobCondition? {
            conditions.first { $0.type == type && $0.status == "True" }
        }
        if let complete = trueCondition("Complete") {
            state = .succeeded
            finishedAt = job.status?.completionTime?.date ?? complete.lastTransitionTime?.date
        } else if let failed = trueCondition("Failed") {
            state = .failed(reason: failed.reason ?? "Failed", message: failed.message ?? "installer Job failed")
            finishedAt = failed.lastTransitionTime?.date
        } else {
            state = .running
            finishedAt = nil
        }

        // The newest Pod of this Job whose installer container terminated carries the report.
        let terminated = pods
            .filter { pod in
                pod.metadata.ownerReferences?.contains { $0.kind == "Job" && $0.name == name } == true
                    || pod.metadata.labels?["job-name"] == name
                    || pod.metadata.labels?["batch.kubernetes.io/job-name"] == name
            }
            .compactMap { pod -> Pod.ContainerState.Terminated? in
                pod.status?.containerStatuses?.first { $0.name == InstallerJobBuilder.containerName }?.state?.terminated
            }
            .max { ($0.finishedAt?.date ?? .distantPast) < ($1.finishedAt?.date ?? .distantPast) }
        report = nil
        reportProblem = nil
        if let terminated {
            if finishedAt == nil, state != .running { finishedAt = terminated.finishedAt?.date }
            if let message = terminated.message, !message.isEmpty {
                do { report = try InstallerReport.decode(terminationMessage: message) } catch {
                    reportProblem = error.description
                }
            } else {
                reportProblem = "installer exited with code \(terminated.exitCode) (\(terminated.reason ?? "no reason")) without a report"
            }
        }
    }
}
