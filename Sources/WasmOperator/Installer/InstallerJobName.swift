import Crypto

/// Deterministic installer Job names (contracts.md "Installer Jobs"): at most one Job per
/// (node, operation) can exist, so a restarted operator can never create a duplicate.
public enum InstallerJobName {
    /// `kwasm-<op>-<node>` when that is a valid DNS-1123 label (≤ 63), else
    /// `kwasm-<op>-<node prefix>-<10 hex of sha256(node)>`.
    public static func name(operation: InstallerOperation, node: String) -> String {
        let plain = "kwasm-\(operation.rawValue)-\(node)"
        if isDNS1123Label(plain) { return plain }
        let hash = nodeHash(node)
        let fixed = "kwasm-\(operation.rawValue)-".count + 1 + hash.count
        var prefix = String(node.lowercased().map { $0.isLowercaseASCIIAlphanumeric ? $0 : "-" }.prefix(63 - fixed))
        while prefix.hasSuffix("-") { prefix.removeLast() }
        return prefix.isEmpty ? "kwasm-\(operation.rawValue)-\(hash)" : "kwasm-\(operation.rawValue)-\(prefix)-\(hash)"
    }

    /// First 10 hex digits of sha256(node name): the `kwasm.sh/node-hash` label value.
    public static func nodeHash(_ node: String) -> String {
        shortHash(Array(node.utf8))
    }

    static func shortHash(_ bytes: [UInt8]) -> String {
        let digest = SHA256.hash(data: bytes)
        return digest.prefix(5).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    static func isDNS1123Label(_ text: String) -> Bool {
        OperatorConfiguration.isDNS1123Label(text)
    }
}
