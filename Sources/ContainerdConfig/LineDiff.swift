/// A unified-style line diff (Myers O(ND)): the engine's edits are small, so D stays small and the
/// diff is fast even for a 1 MiB file.
enum LineDiff {
    static func render(path: String, old: [UInt8]?, new: [UInt8]?) -> String {
        render(path: path, old: old, new: new.map(FileBytes.init))
    }

    /// `new` as parts (the file read from disk and our block), read in place.
    static func render(path: String, old: [UInt8]?, new: FileBytes?) -> String {
        var out = "--- \(old == nil ? "/dev/null" : path)\n+++ \(new == nil ? "/dev/null" : path)\n"
        // Skip the identical head and tail at byte level (cheap on a 1 MiB file), keeping whole
        // lines and a little context, and diff only the rest.
        let x = old ?? [], y = new ?? FileBytes([])
        var head = 0
        while head < x.count, head < y.count, x[head] == y[head] { head += 1 }
        var tail = 0
        while tail < x.count - head, tail < y.count - head, x[x.count - 1 - tail] == y[y.count - 1 - tail] { tail += 1 }
        var start = head
        var skippedLines = 0
        var newlinesToKeep = 3  // back up to a line start, then two more lines of context
        while start > 0 {
            if x[start - 1] == 0x0A { newlinesToKeep -= 1; if newlinesToKeep == 0 { break } }
            start -= 1
        }
        for byte in x[..<start] where byte == 0x0A { skippedLines += 1 }
        var endX = x.count - tail, endY = y.count - tail
        var newlinesAfter = 0
        while endX < x.count, newlinesAfter < 3 {
            if x[endX] == 0x0A { newlinesAfter += 1 }
            endX += 1
            endY += 1
        }
        let a = lines(old == nil ? nil : Array(x[start..<endX]), final: endX == x.count)
        let b = lines(new == nil ? nil : Array(y[start..<endY]), final: endY == y.count)
        let script = editScript(a, b).map { edit in
            Edit(kind: edit.kind, oldLine: edit.oldLine, newLine: edit.newLine)
        }
        return out + hunks(script, a, b, lineOffset: skippedLines)
    }

    private static func hunks(_ script: [Edit], _ a: [String], _ b: [String], lineOffset: Int) -> String {
        var out = ""
        // Group edits into hunks with up to 2 lines of context.
        var index = 0
        while index < script.count {
            guard script[index].kind != .same else { index += 1; continue }
            var start = index
            var context = 0
            while start > 0, script[start - 1].kind == .same, context < 2 { start -= 1; context += 1 }
            var end = index
            var sameRun = 0
            while end < script.count {
                if script[end].kind == .same {
                    sameRun += 1
                    if sameRun > 4 { break }
                } else {
                    sameRun = 0
                }
                end += 1
            }
            // Keep at most 2 trailing context lines.
            while end > index, sameRun > 2, script[end - 1].kind == .same { end -= 1; sameRun -= 1 }
            let hunk = script[start..<end]
            let oldStart = hunk.first.map { $0.oldLine } ?? 0
            let newStart = hunk.first.map { $0.newLine } ?? 0
            let oldCount = hunk.filter { $0.kind != .added }.count
            let newCount = hunk.filter { $0.kind != .removed }.count
            out += "@@ -\(oldStart + 1 + lineOffset),\(oldCount) +\(newStart + 1 + lineOffset),\(newCount) @@\n"
            for edit in hunk {
                switch edit.kind {
                case .same: out += " " + a[edit.oldLine] + "\n"
                case .removed: out += "-" + a[edit.oldLine] + "\n"
                case .added: out += "+" + b[edit.newLine] + "\n"
                }
            }
            index = end
        }
        return out
    }

    struct Edit {
        enum Kind { case same, removed, added }
        var kind: Kind
        var oldLine: Int
        var newLine: Int
    }

    static func editScript(_ a: [String], _ b: [String]) -> [Edit] {
        // Trim common prefix/suffix first (the usual case is one appended block).
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let x = Array(a[prefix..<(a.count - suffix)]), y = Array(b[prefix..<(b.count - suffix)])
        var middle = myers(x, y)
        for k in middle.indices { middle[k].oldLine += prefix; middle[k].newLine += prefix }
        var result = (0..<prefix).map { Edit(kind: .same, oldLine: $0, newLine: $0) }
        result += middle
        result += (0..<suffix).map { Edit(kind: .same, oldLine: a.count - suffix + $0, newLine: b.count - suffix + $0) }
        return result
    }

    private static func myers(_ a: [String], _ b: [String]) -> [Edit] {
        let n = a.count, m = b.count
        if n == 0 { return (0..<m).map { Edit(kind: .added, oldLine: 0, newLine: $0) } }
        if m == 0 { return (0..<n).map { Edit(kind: .removed, oldLine: $0, newLine: 0) } }
        let maxD = n + m
        let offset = maxD
        var v = [Int](repeating: 0, count: 2 * maxD + 2)
        var trace: [[Int]] = []
        outer: for d in 0...maxD {
            trace.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                    x = v[offset + k + 1]
                } else {
                    x = v[offset + k - 1] + 1
                }
                var y = x - k
                while x < n, y < m, a[x] == b[y] { x += 1; y += 1 }
                v[offset + k] = x
                if x >= n && y >= m { trace.append(v); break outer }
            }
        }
        // Backtrack.
        var edits: [Edit] = []
        var x = n, y = m
        for d in stride(from: trace.count - 2, through: 0, by: -1) {
            let v = trace[d]
            let k = x - y
            let prevK = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? k + 1 : k - 1
            let prevX = v[offset + prevK]
            let prevY = prevX - prevK
            while x > prevX && y > prevY {
                x -= 1; y -= 1
                edits.append(Edit(kind: .same, oldLine: x, newLine: y))
            }
            if d > 0 {
                if x == prevX { y -= 1; edits.append(Edit(kind: .added, oldLine: x, newLine: y)) }
                else { x -= 1; edits.append(Edit(kind: .removed, oldLine: x, newLine: y)) }
            }
            x = prevX; y = prevY
        }
        while x > 0 && y > 0 { x -= 1; y -= 1; edits.append(Edit(kind: .same, oldLine: x, newLine: y)) }
        return edits.reversed()
    }

    private static func lines(_ bytes: [UInt8]?, final: Bool) -> [String] {
        guard let bytes, !bytes.isEmpty else { return [] }
        var result = String(decoding: bytes, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        if bytes.last == 0x0A {
            result.removeLast()
        } else if final {
            result[result.count - 1] += "  (no newline at end of file)"
        }
        return result
    }
}
