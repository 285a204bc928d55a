import Foundation

extension ContainerdSandbox {
    /// Programs a sandbox needs on this machine.
    static let requiredPrograms = [
        "/usr/bin/containerd", "/usr/bin/ctr", "/usr/bin/containerd-shim-runc-v2",
        "/usr/bin/unshare", "/bin/busybox",
    ]

    /// Why a real containerd cannot run here, or `nil` when it can.
    public static var unavailableReason: String? {
        if geteuid() != 0 {
            return "SKIPPED: real-containerd tests need root (euid is \(geteuid())); CI runs them as root"
        }
        let missing = requiredPrograms.filter { !FileManager.default.isExecutableFile(atPath: $0) }
        if !missing.isEmpty {
            return "SKIPPED: real-containerd tests need \(missing.joined(separator: ", ")) "
                + "(apt-get install containerd runc busybox-static util-linux)"
        }
        if findRuncBinary() == nil {
            return "SKIPPED: real-containerd tests need runc (apt-get install runc)"
        }
        return nil
    }

    /// `true` when root and every needed program are present. Prints the reason loudly otherwise,
    /// so a skipped test never passes silently.
    public static var isAvailable: Bool {
        if let reason = unavailableReason {
            FileHandle.standardError.write(Data("\n*** ContainerdSandbox: \(reason) ***\n".utf8))
            return false
        }
        return true
    }

    static func findRuncBinary() -> String? {
        ["/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
