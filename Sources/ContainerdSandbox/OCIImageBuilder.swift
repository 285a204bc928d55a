import Foundation

/// Writes a tiny OCI image layout tarball (for `ctr image import`) holding `/bin/busybox` from
/// Debian's busybox-static plus `sh`, `echo`, `cat`, `ls` and `sleep` symlinks. No Docker, no registry.
public enum OCIImageBuilder {
    /// The reference the image is imported under.
    public static let defaultReference = "kwtest.local/busybox:latest"
    /// The pod sandbox stand-in built when the test assets (with the real pause image) are absent.
    public static let pauseReference = "kwtest.local/pause:latest"

    /// Builds the image into `path` and returns its reference.
    @discardableResult
    public static func writeBusyboxImage(
        to path: String,
        busybox: String = "/bin/busybox",
        reference: String = defaultReference,
        entrypoint: [String]? = nil
    ) throws -> String {
        let busyboxBytes = try Data(contentsOf: URL(fileURLWithPath: busybox))

        var layer = TarWriter()
        layer.addDirectory("bin")
        layer.addFile("bin/busybox", contents: busyboxBytes, mode: 0o755)
        for tool in ["sh", "echo", "cat", "ls", "sleep", "true"] {
            layer.addSymlink("bin/\(tool)", target: "busybox")
        }
        layer.addDirectory("tmp", mode: 0o1777)
        let layerBytes = layer.finished()
        let layerDigest = try sha256Hex(layerBytes)

        let start = entrypoint.map { #""Entrypoint":\#(jsonArray($0))"# } ?? #""Cmd":["/bin/sh"]"#
        let config = """
        {"architecture":"\(goArchitecture)","os":"linux","config":{"Env":["PATH=/bin"],\(start)},\
        "rootfs":{"type":"layers","diff_ids":["sha256:\(layerDigest)"]}}
        """
        return try writeLayout(layer: layerBytes, layerDigest: layerDigest, config: Data(config.utf8), reference: reference,
                               manifestAnnotations: "", to: path)
    }

    static func jsonArray(_ strings: [String]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: strings)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static var goArchitecture: String {
        #if arch(x86_64)
        return "amd64"
        #elseif arch(arm64)
        return "arm64"
        #else
        return "unknown"
        #endif
    }

    /// SHA-256 via coreutils' `sha256sum` (this target stays Foundation-only).
    public static func sha256Hex(_ data: Data) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kwsb-\(UUID().uuidString)").path
        try data.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try CommandRunner.run("/usr/bin/sha256sum", [path])
        guard result.succeeded, let hex = result.stdout.split(separator: " ").first, hex.count == 64 else {
            throw SandboxError("sha256sum failed: \(result)")
        }
        return String(hex)
    }
}
