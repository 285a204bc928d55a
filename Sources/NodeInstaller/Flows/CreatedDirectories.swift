import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The install dir's ancestors we create (`/opt` on a host without one) are ours to remove again, when empty.
extension NodeInstaller {
    /// Strict ancestors of host path `installDir` that do not exist yet, shallowest first.
    func missingAncestors(of installDir: String) -> [String] {
        let parts = installDir.split(separator: "/").dropLast()
        var result: [String] = []
        for count in parts.indices.map({ $0 + 1 }) {
            let ancestor = "/" + parts.prefix(count).joined(separator: "/")
            if !paths.exists(ancestor) { result.append(ancestor) }
        }
        return result
    }

    /// Removes the recorded ancestors, deepest first; `rmdir` leaves any that someone else has used since.
    func removeCreatedAncestors(_ hostPaths: [String]) {
        for hostPath in hostPaths.sorted(by: { $0.count > $1.count }) where options.installDir.hasPrefix(hostPath + "/") {
            if let resolved = try? paths.resolveParent(hostPath), HostFile.type(resolved) == S_IFDIR { rmdir(resolved) }
        }
    }
}
