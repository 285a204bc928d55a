/// The metadata validation the real apiserver applies to every object (apimachinery's
/// `ValidateObjectMeta`), written out by hand so the fake rejects what a cluster rejects.
enum ObjectValidation {
    static let maxLabelValueLength = 63
    static let maxAnnotationsBytes = 256 * 1024

    static func isDNS1123Label(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return false }
        guard isLowerAlnum(bytes.first!), isLowerAlnum(bytes.last!) else { return false }
        return bytes.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    static func isDNS1123Subdomain(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            let bytes = Array(part.utf8)
            guard !bytes.isEmpty, isLowerAlnum(bytes.first!), isLowerAlnum(bytes.last!) else { return false }
            return bytes.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isLowerAlnum(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    private static func isAlnum(_ b: UInt8) -> Bool {
        isLowerAlnum(b) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, at most 63 characters.
    static func isQualifiedNamePart(_ s: Substring) -> Bool {
        let bytes = Array(s.utf8)
        guard !bytes.isEmpty, bytes.count <= 63, isAlnum(bytes.first!), isAlnum(bytes.last!) else { return false }
        return bytes.allSatisfy {
            isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    /// Problem with a label or annotation key (`[prefix/]name`), or nil when valid.
    static func qualifiedNameProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        let name: Substring
        switch parts.count {
        case 1: name = parts[0]
        case 2:
            if parts[0].isEmpty { return "prefix part must be non-empty" }
            if !isDNS1123Subdomain(String(parts[0])) {
                return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            }
            name = parts[1]
        default:
            return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        }
        if name.utf8.count > 63 { return "name part must be no more than 63 characters" }
        if !isQualifiedNamePart(name) {
            return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        }
        return nil
    }

    static func labelValueProblem(_ value: String) -> String? {
        if value.isEmpty { return nil }
        if value.utf8.count > maxLabelValueLength { return "must be no more than 63 characters" }
        if !isQualifiedNamePart(Substring(value)) {
            return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        }
        return nil
    }

    static func nameProblem(_ name: String, rule: ResourceDescriptor.NameRule) -> String? {
        switch rule {
        case .label:
            if name.utf8.count > 63 { return "must be no more than 63 characters" }
            if !isDNS1123Label(name) {
                return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            }
        case .subdomain, .subdomainOf63:
            let limit = rule == .subdomain ? 253 : 63
            if name.utf8.count > limit { return "must be no more than \(limit) characters" }
            if !isDNS1123Subdomain(name) {
                return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            }
        }
        return nil
    }

    /// apimachinery's `maskTrailingDash`: a generateName prefix may end in '-'.
    static func maskTrailingDash(_ prefix: String) -> String {
        prefix.count > 1 && prefix.hasSuffix("-") ? String(prefix.dropLast()) + "a" : prefix
    }

    /// Every problem with an object's metadata, as `details.causes`.
    static func metadataProblems(_ object: JSONValue, resource: ResourceDescriptor) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let metadata = object["metadata"] ?? .object([:])
        let name = metadata["name"]?.stringValue ?? ""
        if name.isEmpty {
            causes.append(
                APIError.invalidCause("metadata.name", "Required value: name or generateName is required", reason: "FieldValueRequired"))
        } else if let problem = nameProblem(name, rule: resource.nameRule) {
            causes.append(APIError.invalidCause("metadata.name", "Invalid value: \"\(name)\": \(problem)"))
        }
        if let prefix = metadata["generateName"]?.stringValue, !prefix.isEmpty,
            let problem = nameProblem(maskTrailingDash(prefix), rule: resource.nameRule)
        {
            // A prefix is valid when some suffix makes a valid name: only a trailing '-' is forgiven.
            causes.append(APIError.invalidCause("metadata.generateName", "Invalid value: \"\(prefix)\": \(problem)"))
        }
        if resource.namespaced, let ns = metadata["namespace"]?.stringValue, let problem = nameProblem(ns, rule: .label) {
            causes.append(APIError.invalidCause("metadata.namespace", "Invalid value: \"\(ns)\": \(problem)"))
        }
        if let labels = metadata["labels"] {
            guard let labels = labels.objectValue else {
                causes.append(APIError.invalidCause("metadata.labels", "Invalid value: must be an object of strings"))
                return causes
            }
            causes += labelProblems(labels)
        }
        if let annotations = metadata["annotations"] {
            guard let annotations = annotations.objectValue else {
                causes.append(APIError.invalidCause("metadata.annotations", "Invalid value: must be an object of strings"))
                return causes
            }
            causes += annotationProblems(annotations)
        }
        if let owners = metadata["ownerReferences"] {
            causes += ownerReferenceProblems(owners.arrayValue ?? [])
        }
        if let finalizers = metadata["finalizers"] {
            for (index, f) in (finalizers.arrayValue ?? []).enumerated() {
                guard let text = f.stringValue, qualifiedNameProblem(text) == nil else {
                    causes.append(
                        APIError.invalidCause("metadata.finalizers[\(index)]", "Invalid value: \(f): must be a qualified name"))
                    continue
                }
            }
        }
        return causes
    }

    private static func labelProblems(_ labels: [String: JSONValue]) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            if let problem = qualifiedNameProblem(key) {
                causes.append(APIError.invalidCause("metadata.labels", "Invalid value: \"\(key)\": \(problem)"))
            }
            guard let text = value.stringValue else {
                causes.append(APIError.invalidCause("metadata.labels", "Invalid value: label \(key) must be a string"))
                continue
            }
            if let problem = labelValueProblem(text) {
                causes.append(APIError.invalidCause("metadata.labels", "Invalid value: \"\(text)\": \(problem)"))
            }
        }
        return causes
    }

    /// Keys must be qualified names (any case); keys and values together at most 256 KiB.
    private static func annotationProblems(_ annotations: [String: JSONValue]) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        var total = 0
        for (key, value) in annotations.sorted(by: { $0.key < $1.key }) {
            if let problem = qualifiedNameProblem(key.lowercased()) {
                causes.append(APIError.invalidCause("metadata.annotations", "Invalid value: \"\(key)\": \(problem)"))
            }
            guard let text = value.stringValue else {
                causes.append(APIError.invalidCause("metadata.annotations", "Invalid value: annotation \(key) must be a string"))
                continue
            }
            total += key.utf8.count + text.utf8.count
        }
        if total > maxAnnotationsBytes {
            causes.append(
                APIError.invalidCause(
                    "metadata.annotations", "Too long: must have at most \(maxAnnotationsBytes) bytes", reason: "FieldValueTooLong"))
        }
        return causes
    }

    /// Every reference names its owner fully; at most one is the controller.
    private static func ownerReferenceProblems(_ list: [JSONValue]) -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        var controllers = 0
        for (index, owner) in list.enumerated() {
            for field in ["apiVersion", "kind", "name", "uid"] where (owner[field]?.stringValue ?? "").isEmpty {
                causes.append(
                    APIError.invalidCause(
                        "metadata.ownerReferences[\(index)].\(field)", "Required value", reason: "FieldValueRequired"))
            }
            if owner["controller"]?.boolValue == true { controllers += 1 }
        }
        if controllers > 1 {
            causes.append(
                APIError.invalidCause(
                    "metadata.ownerReferences", "Invalid value: Only one reference can have Controller set to true"))
        }
        return causes
    }
}
