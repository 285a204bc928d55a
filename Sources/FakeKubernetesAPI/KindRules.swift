import Foundation

/// Per-kind behaviour of the real apiserver that clients trip over: server defaults, required
/// fields, immutable fields and timestamp normalisation (metav1.Time is stored with second
/// precision, metav1.MicroTime with exactly six fractional digits — a client comparing what it
/// wrote with what it reads back must cope).
enum KindRules {
    // MARK: Defaults on create

    static func applyCreateDefaults(_ object: inout JSONValue, resource: ResourceDescriptor, scope: WriteScope) {
        switch resource.id {
        case ResourceDescriptor.jobs.id: defaultJob(&object)
        case ResourceDescriptor.pods.id:
            if object["status"]?["phase"] == nil {
                if object["status"] == nil { object["status"] = [:] }
                object["status"]!["phase"] = "Pending"
            }
        default: break
        }
    }

    /// batch/v1 defaulting and the Job strategy: labels from the template when unset, then a
    /// generated selector and template labels naming the Job.
    private static func defaultJob(_ object: inout JSONValue) {
        guard object["spec"] != nil else { return }
        if (object["metadata"]?["labels"]?.objectValue ?? [:]).isEmpty,
            let templateLabels = object["spec"]?["template"]?["metadata"]?["labels"], templateLabels.objectValue?.isEmpty == false
        {
            object["metadata"]!["labels"] = templateLabels
        }
        guard object["spec"]?["manualSelector"]?.boolValue != true,
            let uid = object["metadata"]?["uid"]?.stringValue, let name = object["metadata"]?["name"]?.stringValue
        else { return }
        let jobLabels: [String: JSONValue] = [
            "batch.kubernetes.io/controller-uid": .string(uid), "batch.kubernetes.io/job-name": .string(name),
            "controller-uid": .string(uid), "job-name": .string(name),
        ]
        object["spec"]!["selector"] = ["matchLabels": ["batch.kubernetes.io/controller-uid": .string(uid)]]
        var template = object["spec"]?["template"] ?? [:]
        var templateLabels = template["metadata"]?["labels"]?.objectValue ?? [:]
        templateLabels.merge(jobLabels) { _, new in new }
        if template["metadata"] == nil { template["metadata"] = [:] }
        template["metadata"]!["labels"] = .object(templateLabels)
        object["spec"]!["template"] = template
    }

    // MARK: Generation

    /// Whether the kind's registry strategy maintains `metadata.generation`. The real server sets it
    /// for custom resources and the workload kinds (Jobs, Deployments, …); Nodes, Pods (before 1.33),
    /// ConfigMaps, Leases, Events, RuntimeClasses and Namespaces never carry one.
    static func tracksGeneration(_ resource: ResourceDescriptor) -> Bool {
        let without: Set<String> = [
            "", "coordination.k8s.io", "events.k8s.io", "node.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io",
            "certificates.k8s.io", "scheduling.k8s.io", "discovery.k8s.io",
        ]
        return !without.contains(resource.group) || resource.plural == "replicationcontrollers"
    }

    /// Whether a create keeps the `status` it was sent although the kind has a status subresource:
    /// Nodes do (the kubelet registers its Node with its status in one request).
    static func keepsStatusOnCreate(_ resource: ResourceDescriptor) -> Bool {
        resource.id == ResourceDescriptor.nodes.id
    }

    /// Whether a PUT without `metadata.resourceVersion` overwrites unconditionally (most built-in kinds)
    /// rather than being refused as Invalid (custom resources, RuntimeClasses).
    static func allowsUnconditionalUpdate(_ resource: ResourceDescriptor) -> Bool {
        ["", "coordination.k8s.io", "events.k8s.io", "batch", "apps"].contains(resource.group)
    }

    // MARK: Validation

    /// Kind-specific problems with an object about to be stored.
    static func problems(_ object: JSONValue, old: JSONValue?, resource: ResourceDescriptor, scope: WriteScope)
        -> [APIError.Cause]
    {
        var causes: [APIError.Cause] = []
        switch resource.id {
        case ResourceDescriptor.events.id:
            for field in ["eventTime", "reportingController", "reportingInstance", "action", "reason"]
            where (object[field]?.stringValue ?? "").isEmpty {
                causes.append(APIError.invalidCause(field, "Required value", reason: "FieldValueRequired"))
            }
            if let type = object["type"]?.stringValue, type != "Normal", type != "Warning" {
                causes.append(
                    APIError.invalidCause("type", "Unsupported value: \"\(type)\": supported values: \"Normal\", \"Warning\"", reason: "FieldValueNotSupported"))
            }
            for field in ["action", "reason"] where (object[field]?.stringValue?.utf8.count ?? 0) > 128 {
                causes.append(APIError.invalidCause(field, "Too long: must have at most 128 bytes", reason: "FieldValueTooLong"))
            }
            if (object["note"]?.stringValue?.utf8.count ?? 0) > 1024 {
                causes.append(APIError.invalidCause("note", "Too long: must have at most 1024 bytes", reason: "FieldValueTooLong"))
            }
            // An event about a cluster-scoped object (a Node) lives in `default` or `kube-system`.
            let namespace = object["metadata"]?["namespace"]?.stringValue ?? ""
            if (object["regarding"]?["namespace"]?.stringValue ?? "").isEmpty, namespace != "default", namespace != "kube-system" {
                causes.append(APIError.invalidCause("involvedObject.namespace", "Invalid value: \"\": does not match event.namespace"))
            }
        case ResourceDescriptor.runtimeClasses.id:
            let handler = object["handler"]?.stringValue ?? ""
            if handler.isEmpty {
                causes.append(APIError.invalidCause("handler", "Required value", reason: "FieldValueRequired"))
            } else if let problem = ObjectValidation.nameProblem(handler, rule: .label) {
                causes.append(APIError.invalidCause("handler", "Invalid value: \"\(handler)\": \(problem)"))
            }
        case ResourceDescriptor.leases.id:
            if let seconds = object["spec"]?["leaseDurationSeconds"]?.intValue, seconds <= 0 {
                causes.append(APIError.invalidCause("spec.leaseDurationSeconds", "Invalid value: \(seconds): must be greater than 0"))
            }
        default: break
        }
        if let old, scope != .everything {
            for path in immutablePaths(resource) where old.value(at: path) != object.value(at: path) {
                causes.append(
                    APIError.invalidCause(path.joined(separator: "."), "Invalid value: field is immutable"))
            }
        }
        return causes
    }

    private static func immutablePaths(_ resource: ResourceDescriptor) -> [[String]] {
        switch resource.id {
        case ResourceDescriptor.jobs.id:
            return [["spec", "selector"], ["spec", "template"], ["spec", "completions"], ["spec", "completionMode"]]
        case ResourceDescriptor.runtimeClasses.id:
            return [["handler"]]
        case ResourceDescriptor.pods.id:
            return [
                ["spec", "nodeName"], ["spec", "volumes"], ["spec", "restartPolicy"], ["spec", "serviceAccountName"],
                ["spec", "hostNetwork"], ["spec", "hostPID"], ["spec", "securityContext"], ["spec", "priorityClassName"],
            ]
        default:
            return []
        }
    }

    // MARK: Timestamps

    /// Rewrites typed timestamps the way the real server serialises them; a malformed one is a
    /// decoding error (400).
    static func normalizeTimes(_ object: inout JSONValue, resource: ResourceDescriptor) throws(APIError) {
        switch resource.id {
        case ResourceDescriptor.leases.id:
            try normalize(&object, ["spec", "acquireTime"], micro: true)
            try normalize(&object, ["spec", "renewTime"], micro: true)
        case ResourceDescriptor.events.id:
            try normalize(&object, ["eventTime"], micro: true)
            try normalize(&object, ["series", "lastObservedTime"], micro: true)
            try normalize(&object, ["deprecatedFirstTimestamp"], micro: false)
            try normalize(&object, ["deprecatedLastTimestamp"], micro: false)
        default:
            break
        }
        if !resource.group.hasSuffix("kwasm.sh"), var conditions = object["status"]?["conditions"]?.arrayValue {
            // Built-in kinds type their conditions; custom resources store JSON as sent.
            for index in conditions.indices {
                for field in ["lastTransitionTime", "lastHeartbeatTime", "lastProbeTime", "lastUpdateTime"] {
                    try normalize(&conditions[index], [field], micro: false)
                }
            }
            object["status"]!["conditions"] = .array(conditions)
        }
    }

    private static func normalize(_ object: inout JSONValue, _ path: [String], micro: Bool) throws(APIError) {
        guard let value = object.value(at: path), case .string(let text) = value else { return }
        guard let formatted = reformat(text, micro: micro) else {
            throw .badRequest(
                "\(path.joined(separator: ".")): parsing time \"\(text)\" as \"2006-01-02T15:04:05Z07:00\": cannot parse")
        }
        if formatted == text { return }
        if path.count == 1 {
            object[path[0]] = .string(formatted)
        } else {
            var parent = object.value(at: Array(path.dropLast())) ?? [:]
            parent[path.last!] = .string(formatted)
            if path.count == 2 { object[path[0]] = parent }
        }
    }

    /// RFC 3339 in; out in UTC with no fraction (Time) or exactly six fractional digits
    /// (MicroTime), truncated like Go's formatting.
    static func reformat(_ text: String, micro: Bool) -> String? {
        // Nearly every time the server sees is one it (or a client of the same form) wrote.
        if Timestamps.isCanonical(text, micro: micro) { return text }
        var whole = text
        var digits = ""
        if let dot = text.firstIndex(of: ".") {
            guard let zone = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "z" || $0 == "+" || $0 == "-" }) else {
                return nil
            }
            digits = String(text[text.index(after: dot)..<zone])
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            whole = String(text[..<dot]) + String(text[zone...])
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: whole) else { return nil }
        formatter.timeZone = TimeZone(identifier: "UTC")
        let base = formatter.string(from: date)
        guard micro else { return base }
        let six = String((digits + "000000").prefix(6))
        return String(base.dropLast()) + "." + six + "Z"
    }
}
