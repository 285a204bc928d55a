/// A reason the operator writes into a WasmNodeStatus (a condition's `reason`, `lastError.code`)
/// or onto a Warning event. Every one is explained in docs/troubleshooting.md (a test keeps the
/// two in step); the installer's own failure codes pass through verbatim and are listed there too.
public struct NodeReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    // Progress
    public static let installing = NodeReason(rawValue: "Installing")
    public static let uninstalling = NodeReason(rawValue: "Uninstalling")
    public static let installed = NodeReason(rawValue: "Installed")
    public static let unchanged = NodeReason(rawValue: "Unchanged")
    public static let verified = NodeReason(rawValue: "Verified")
    public static let waitingForKubelet = NodeReason(rawValue: "WaitingForKubelet")
    public static let waitingForRolloutSlot = NodeReason(rawValue: "WaitingForRolloutSlot")
    public static let nodeNotReady = NodeReason(rawValue: "NodeNotReady")
    public static let drifted = NodeReason(rawValue: "Drifted")

    // Failures found by the operator (the installer's codes arrive in its report)
    public static let runtimeHandlersMissing = NodeReason(rawValue: "RuntimeHandlersMissing")
    public static let jobLost = NodeReason(rawValue: "JobLost")
    public static let jobFailed = NodeReason(rawValue: "JobFailed")
    public static let deadlineExceeded = NodeReason(rawValue: "DeadlineExceeded")
    public static let reportMissing = NodeReason(rawValue: "ReportMissing")
    public static let installerFailed = NodeReason(rawValue: "InstallerFailed")
    public static let unsupported = NodeReason(rawValue: "Unsupported")
    public static let invalidAnnotation = NodeReason(rawValue: "InvalidAnnotation")

    // Warning events
    public static let installFailed = NodeReason(rawValue: "InstallFailed")
    public static let uninstallFailed = NodeReason(rawValue: "UninstallFailed")
    public static let driftCheckFailed = NodeReason(rawValue: "DriftCheckFailed")

    /// Every reason above, for the documentation check.
    public static let all: [NodeReason] = [
        .installing, .uninstalling, .installed, .unchanged, .verified, .waitingForKubelet, .waitingForRolloutSlot,
        .nodeNotReady, .drifted, .runtimeHandlersMissing, .jobLost, .jobFailed, .deadlineExceeded, .reportMissing,
        .installerFailed, .unsupported, .invalidAnnotation, .installFailed, .uninstallFailed, .driftCheckFailed,
    ]
}
