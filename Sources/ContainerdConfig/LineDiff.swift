/// A compact unified-style diff: the engine's edits are local (an appended block, one imports
/// entry, commented-out lines), so trimming the common prefix and suffix lines is enough and linear.
enum LineDiff {
    static func render(path: String, old: [UInt8]?, new: [UInt8]?) -> String {
        let oldLines = lines(old)
        let newLines = lines(new)
        var prefix = 0
        while prefix < oldLines.count, prefix < newLines.count, oldLines[prefix] == newLines[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < oldLines.count - prefix, suffix < newLines.count - prefix,
              oldLines[oldLines.count - 1 - suffix] == newLines[newLines.count - 1 - suffix] { suffix += 1 }
        var out = "--- \(old == nil ? "/dev/null" : path)\n+++ \(new == nil ? "/dev/null" : path)\n"
        let removed = oldLines[prefix..<(oldLines.count - suffix)]
        let added = newLines[prefix..<(newLines.count - suffix)]
        out += "@@ -\(prefix + 1),\(removed.count) +\(prefix + 1),\(added.count) @@\n"
        for line in removed { out += "-" + line + "\n" }
        for line in added { out += "+" + line + "\n" }
        return out
    }

    private static func lines(_ bytes: [UInt8]?) -> [String] {
        guard let bytes, !bytes.isEmpty else { return [] }
        var result = String(decoding: bytes, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        if bytes.last == 0x0A { result.removeLast() } else { result[result.count - 1] += " (no newline at end of file)" }
        return result
    }
}
