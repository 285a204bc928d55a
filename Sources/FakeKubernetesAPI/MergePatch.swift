/// JSON merge patch (RFC 7386): objects merge recursively, `null` removes a member, anything
/// else (arrays included) replaces the target.
enum MergePatch {
    static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in patchMembers {
            if case .null = value {
                result.removeValue(forKey: key)
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }
}

/// Server-side apply, simplified: a manager's field set is the set of leaf paths it applied
/// (objects recurse, arrays and scalars are atomic leaves).
enum ServerSideApply {
    typealias FieldSet = Set<[String]>

    /// Paths a manager owns when it applies `config` (identity fields excluded).
    static func fieldSet(of config: JSONValue) -> FieldSet {
        var set = FieldSet()
        collect(config, prefix: [], into: &set)
        set = set.filter { path in
            !(path.first == "apiVersion" || path.first == "kind"
                || path == ["metadata", "name"] || path == ["metadata", "namespace"]
                || path == ["metadata", "resourceVersion"] || path == ["metadata", "managedFields"])
        }
        return set
    }

    private static func collect(_ value: JSONValue, prefix: [String], into set: inout FieldSet) {
        if case .object(let members) = value, !members.isEmpty {
            for (key, child) in members { collect(child, prefix: prefix + [key], into: &set) }
        } else if !prefix.isEmpty {
            set.insert(prefix)
        }
    }

    /// Deep merge where `config` wins; `null` in config is kept out of the result.
    static func merge(_ config: JSONValue, into target: JSONValue) -> JSONValue {
        guard case .object(let configMembers) = config else { return config }
        var result = target.objectValue ?? [:]
        for (key, value) in configMembers {
            if case .null = value {
                result.removeValue(forKey: key)
            } else {
                result[key] = merge(value, into: result[key] ?? .null)
            }
        }
        return .object(result)
    }

    /// Removes `path`, then prunes objects left empty on the way up (as apply does).
    static func remove(_ path: [String], from value: JSONValue) -> JSONValue {
        guard let first = path.first, case .object(var members) = value else { return value }
        if path.count == 1 {
            members.removeValue(forKey: first)
        } else if let child = members[first] {
            let pruned = remove(Array(path.dropFirst()), from: child)
            if case .object(let m) = pruned, m.isEmpty {
                members.removeValue(forKey: first)
            } else {
                members[first] = pruned
            }
        }
        return .object(members)
    }
}
