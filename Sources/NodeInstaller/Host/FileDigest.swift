import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// SHA-256 of files and bytes (swift-crypto), streamed so large shims do not sit in memory.
public enum FileDigest {
    /// The digest of a regular file; throws for a missing file, a symlink, a FIFO or a device (never blocks).
    public static func sha256(path: String) throws -> String {
        guard let fd = try HostFile.openRegular(path) else {
            throw InstallerError(.ioError, "cannot read \(path): no such file")
        }
        defer { close(fd) }
        var hasher = SHA256()
        try HostFile.readLoop(fd, path: path, limit: Int.max) { hasher.update(bufferPointer: $0) }
        return hex(hasher.finalize())
    }

    public static func sha256(_ bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// ``sha256(_:)`` of the concatenated `parts`, hashed in place.
    public static func sha256(parts: [ArraySlice<UInt8>]) -> String {
        var hasher = SHA256()
        for part in parts { part.withUnsafeBytes { hasher.update(bufferPointer: $0) } }
        return hex(hasher.finalize())
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
