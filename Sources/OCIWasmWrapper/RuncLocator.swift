#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Finds the node's real runc, which `kwasm-oci` hands every command to.
public enum RuncLocator {
    /// Overrides the search (an absolute path); set in containerd's environment or, per runtime,
    /// through the file `kwasm-oci.runc` next to `kwasm-oci` holding the path.
    public static let environmentVariable = "KWASM_OCI_RUNC"

    /// The usual places: distro packages, static installs, then k3s, RKE2 and MicroK8s bundles.
    public static let candidates = [
        "/usr/bin/runc", "/usr/local/bin/runc", "/usr/sbin/runc", "/usr/local/sbin/runc",
        "/var/lib/rancher/k3s/data/current/bin/runc", "/var/lib/rancher/rke2/bin/runc",
        "/snap/microk8s/current/bin/runc", "/bin/runc",
    ]

    public static func locate(configFile: String, environment: String?) -> String? {
        if let environment, !environment.isEmpty { return environment }
        if let configured = readFirstLine(configFile), !configured.isEmpty { return configured }
        return candidates.first { access($0, X_OK) == 0 }
    }

    static func readFirstLine(_ path: String) -> String? { readLines(path).first }

    /// The file's non-empty lines, trimmed; none when it does not exist.
    static func readLines(_ path: String) -> [String] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var lines: [String] = []
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: [" ", "\n", "\t", "\r"])
            if !line.isEmpty { lines.append(line) }
        }
        return lines
    }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
