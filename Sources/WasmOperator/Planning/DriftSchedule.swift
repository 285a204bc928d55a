import Crypto
import Foundation

/// When a Ready node is next checked for drift: `interval` after the last check, jittered by
/// ±10 % so a fleet installed together does not check together. The jitter is derived from
/// the node name and the last check time, so the schedule is a pure function (the same on
/// every reconcile and after an operator restart).
public enum DriftSchedule {
    /// `nil` when periodic checks are disabled (`interval == .zero`).
    public static func nextCheck(node: String, lastChecked: Date, interval: Duration) -> Date? {
        guard interval > .zero else { return nil }
        let seed = Array("\(node)@\(Int64(lastChecked.timeIntervalSince1970))".utf8)
        let digest = Array(SHA256.hash(data: seed))
        let unit = Double(UInt16(digest[0]) << 8 | UInt16(digest[1])) / Double(UInt16.max)  // 0…1
        let factor = 0.9 + 0.2 * unit
        return lastChecked.addingTimeInterval(interval.seconds * factor)
    }

    /// Host changes that call for a check now: the node rebooted (boot ID) or its container
    /// runtime changed (containerRuntimeVersion), compared with what was recorded at the last
    /// install or check. Nothing recorded means nothing to compare.
    public static func hostChanged(
        bootID: String?, recordedBootID: String?,
        containerRuntimeVersion: String?, recordedContainerRuntimeVersion: String?
    ) -> Bool {
        func differs(_ current: String?, _ recorded: String?) -> Bool {
            guard let current, !current.isEmpty, let recorded, !recorded.isEmpty else { return false }
            return current != recorded
        }
        return differs(bootID, recordedBootID) || differs(containerRuntimeVersion, recordedContainerRuntimeVersion)
    }
}
