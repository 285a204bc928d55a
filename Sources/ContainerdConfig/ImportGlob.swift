/// containerd `imports` entries are paths or Go `filepath.Match` globs; relative ones are resolved
/// against the directory of the file that imports them.
enum ImportGlob {
    static func covers(_ pattern: String, path: String, configPath: String) -> Bool {
        var absolute = pattern
        if !pattern.hasPrefix("/") {
            let dir = configPath.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            absolute = dir + "/" + pattern
        }
        return match(Array(absolute.unicodeScalars), Array(path.unicodeScalars))
    }

    /// Go filepath.Match on '/'-separated paths: `*` and `?` never match '/'.
    static func match(_ p: [Unicode.Scalar], _ s: [Unicode.Scalar]) -> Bool {
        var pi = 0, si = 0
        var starP = -1, starS = -1
        while si < s.count {
            if pi < p.count {
                switch p[pi] {
                case "*":
                    starP = pi; starS = si; pi += 1
                    continue
                case "?" where s[si] != "/":
                    pi += 1; si += 1
                    continue
                case "[":
                    if let (matched, next) = matchClass(p, pi, s[si]), matched, s[si] != "/" {
                        pi = next; si += 1
                        continue
                    }
                case "\\" where pi + 1 < p.count:
                    if p[pi + 1] == s[si] { pi += 2; si += 1; continue }
                default:
                    if p[pi] == s[si] { pi += 1; si += 1; continue }
                }
            }
            // Backtrack: let the last '*' absorb one more character (never a '/').
            if starP >= 0, s[starS] != "/" {
                starS += 1
                si = starS
                pi = starP + 1
                continue
            }
            return false
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    private static func matchClass(_ p: [Unicode.Scalar], _ start: Int, _ c: Unicode.Scalar) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < p.count, p[i] == "^" || p[i] == "!" { negate = true; i += 1 }
        var matched = false
        var first = true
        while i < p.count {
            if p[i] == "]" && !first { return (matched != negate, i + 1) }
            first = false
            var low = p[i]
            if low == "\\", i + 1 < p.count { i += 1; low = p[i] }
            var high = low
            if i + 2 < p.count, p[i + 1] == "-", p[i + 2] != "]" {
                high = p[i + 2]
                if high == "\\", i + 3 < p.count { i += 1; high = p[i + 2] }
                i += 2
            }
            if low.value <= c.value && c.value <= high.value { matched = true }
            i += 1
        }
        return nil
    }
}
