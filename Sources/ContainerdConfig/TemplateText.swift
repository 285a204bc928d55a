/// Line-level reading of text that is not TOML until a template engine renders it.
enum TemplateText {
    /// The template language a non-TOML file appears to use, if any.
    static func language(of bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        if text.contains("{%") || text.contains("## template: jinja") { return "Jinja2" }
        if text.contains("{{#") || text.split(separator: "\n").contains(where: { $0.hasPrefix("+++") }) {
            return "Handlebars"
        }
        if text.contains("{{") { return "Go template" }
        return nil
    }

    /// What a k3s/RKE2 Go template visibly contains.
    struct Scan {
        /// `version = N` on a line of its own, outside template actions.
        var version: Int64?
        var versionLine: Int?
        /// Contains `{{ template "base" . }}`: k3s/RKE2 render their own config there.
        var includesBase = false
        /// Table headers written literally (no template action on the line): path and line.
        var headers: [(path: [String], line: Int)] = []
    }

    static func scan(_ bytes: [UInt8]) -> Scan {
        var result = Scan()
        let text = String(decoding: bytes, as: UTF8.self)
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let compact = line.filter { $0 != " " && $0 != "\t" }
            if compact.contains("{{template\"base\".}}") || compact.contains("{{-template\"base\".-}}")
                || compact.contains("{{template\"base\".-}}") || compact.contains("{{-template\"base\".}}") {
                result.includesBase = true
            }
            if line.contains("{{") { continue }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("[") {
                if let doc = try? TOMLParser.parse(Array(trimmed.utf8)), let header = doc.headers.first {
                    result.headers.append((header.path, lineNumber))
                }
            } else if trimmed.hasPrefix("version"), result.version == nil,
                      let doc = try? TOMLParser.parse(Array(trimmed.utf8)),
                      case .integer(let n)? = doc.rootEntry("version")?.value {
                result.version = n
                result.versionLine = lineNumber
            }
        }
        return result
    }
}
