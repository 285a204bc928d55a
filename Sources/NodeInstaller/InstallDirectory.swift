/// `--install-dir` checked and normalized before anything reads or writes: one spelling per directory (so
/// `/opt/kwasm/` and `/opt/kwasm` are the same install), and never the host's own system directories, whose
/// files install would overwrite and uninstall would delete.
public enum InstallDirectory {
    /// Directories (and everything under the first group) an install dir must never be.
    static let systemTrees = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot", "/dev", "/proc", "/sys",
                              "/etc", "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libexec",
                              "/usr/include", "/usr/share", "/usr/local/bin", "/usr/local/sbin", "/usr/local/lib",
                              "/run", "/var/run", "/var/lib/containerd", "/var/lib/kubelet", "/snap"]
    static let systemDirectories = ["/usr", "/usr/local", "/opt", "/var", "/var/lib", "/home", "/root", "/srv",
                                    "/tmp", "/var/tmp", "/mnt", "/media"]

    /// The normalized install dir, or `InvalidArgument` naming the problem.
    public static func normalized(_ text: String) throws -> String {
        func invalid(_ reason: String) -> InstallerError {
            InstallerError(.invalidArgument, "--install-dir \"\(text)\" \(reason)")
        }
        guard text.hasPrefix("/") else { throw invalid("must be an absolute host path") }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw invalid("contains control characters")
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.contains(where: { $0 == "." || $0 == ".." }) else { throw invalid("must not contain . or .. components") }
        let path = "/" + parts.joined(separator: "/")
        guard path != "/" else { throw invalid("is the host's root directory") }
        guard !systemDirectories.contains(path) else { throw invalid("is a system directory; use a directory of its own such as /opt/kwasm") }
        if let tree = systemTrees.first(where: { path == $0 || path.hasPrefix($0 + "/") }) {
            throw invalid("is inside the system directory \(tree); use a directory of its own such as /opt/kwasm")
        }
        return path
    }
}
