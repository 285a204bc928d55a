import Foundation

/// Which part of an object a write may change.
enum WriteScope: Sendable {
    /// The main resource: for kinds with a status subresource, `status` is ignored.
    case main
    /// The `/status` subresource: only `status` changes.
    case status
    /// In-process writes by tests: everything the caller sends is stored.
    case everything
}

/// `propagationPolicy` of a delete.
public enum PropagationPolicy: String, Sendable {
    case background = "Background"
    case foreground = "Foreground"
    case orphan = "Orphan"
}

extension ObjectStore {
    static let generateNameAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    static func now() -> String {
        Date().formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon).timeZone(separator: .omitted))
    }

    // MARK: Create

    func createLocked(
        _ resource: ResourceDescriptor, namespace: String?, body: JSONValue, scope: WriteScope,
        appliedBy manager: String? = nil
    ) throws(APIError) -> JSONValue {
        guard case .object = body else { throw .badRequest("the body of the request must be a JSON object") }
        var object = body
        try checkIdentity(&object, resource: resource)
        var metadata = object["metadata"]?.objectValue ?? [:]
        if let bodyNamespace = metadata["namespace"]?.stringValue, !bodyNamespace.isEmpty, resource.namespaced,
            bodyNamespace != namespace
        {
            throw .badRequest(
                "the namespace of the provided object does not match the namespace sent on the request")
        }
        if resource.namespaced {
            guard let namespace, !namespace.isEmpty else {
                throw .badRequest("a namespace is required to create \(resource.qualifiedResource)")
            }
            metadata["namespace"] = .string(namespace)
            if options.requireExistingNamespace,
                tables[ResourceDescriptor.namespaces.id]?.objects[namespace] == nil
            {
                throw APIError(
                    code: 404, reason: "NotFound", message: "namespaces \"\(namespace)\" not found", name: namespace,
                    kind: "namespaces")
            }
            if tables[ResourceDescriptor.namespaces.id]?.objects[namespace]?.object["metadata"]?["deletionTimestamp"] != nil {
                throw APIError(
                    code: 403, reason: "Forbidden",
                    message: "\(resource.qualifiedResource) \"\(metadata["name"]?.stringValue ?? "")\" is forbidden: unable to create new content in namespace \(namespace) because it is being terminated",
                    name: metadata["name"]?.stringValue, group: resource.group, kind: resource.plural)
            }
        } else {
            metadata.removeValue(forKey: "namespace")
        }
        if let rv = metadata["resourceVersion"]?.stringValue, !rv.isEmpty {
            // The real server answers this with a bare 500 (no reason), from its storage layer.
            throw APIError(code: 500, reason: "", message: "resourceVersion should not be set on objects to be created")
        }
        if resource.hasStatusSubresource, scope != .everything, !KindRules.keepsStatusOnCreate(resource) { object["status"] = nil }
        metadata["uid"] = .string(UUID().uuidString.lowercased())
        metadata["creationTimestamp"] = .string(Self.now())
        if KindRules.tracksGeneration(resource) { metadata["generation"] = .int(1) } else { metadata.removeValue(forKey: "generation") }
        for field in ["deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"] {
            metadata.removeValue(forKey: field)
        }
        let table = tables[resource.id]!
        let givenName = metadata["name"]?.stringValue ?? ""
        if givenName.isEmpty, let base = metadata["generateName"]?.stringValue, !base.isEmpty {
            // Like the real server: base truncated to 58 characters, five random characters, and a
            // fresh suffix when the name is taken.
            let prefix = String(base.prefix(58))
            var attempts = 0
            repeat {
                let suffix = String((0..<5).map { _ in Self.generateNameAlphabet.randomElement()! })
                metadata["name"] = .string(prefix + suffix)
                attempts += 1
            } while table.objects[Self.key(namespace: namespace, name: metadata["name"]!.stringValue!)] != nil
                && attempts < 16
        }
        object["metadata"] = .object(metadata)
        KindRules.applyCreateDefaults(&object, resource: resource, scope: scope)
        try KindRules.normalizeTimes(&object, resource: resource)
        let name = metadata["name"]?.stringValue ?? ""
        let causes = ObjectValidation.metadataProblems(object, resource: resource)
            + KindRules.problems(object, old: nil, resource: resource, scope: scope)
        if !causes.isEmpty { throw .invalid(resource, name, causes) }
        let key = Self.key(namespace: resource.namespaced ? namespace : nil, name: name)
        if table.objects[key] != nil { throw .alreadyExists(resource, name) }
        var stored = StoredObject(object: object)
        if let manager { stored.appliedFields[manager] = ServerSideApply.fieldSet(of: body) }
        let committed = commitLocked(resource, key: key, old: nil, new: stored)
        collectIfOrphanedLocked(resource, key: key)
        return committed
    }

    private func checkIdentity(_ object: inout JSONValue, resource: ResourceDescriptor) throws(APIError) {
        if let apiVersion = object["apiVersion"]?.stringValue, apiVersion != resource.apiVersion {
            throw .badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(resource.apiVersion))")
        }
        if let kind = object["kind"]?.stringValue, kind != resource.kind {
            throw .badRequest("the kind in the data (\(kind)) does not match the expected kind (\(resource.kind))")
        }
        object["apiVersion"] = .string(resource.apiVersion)
        object["kind"] = .string(resource.kind)
    }

    // MARK: Update

    /// Writes `proposed` over the stored object, enforcing what the server owns. `proposed` has
    /// already been through the scope rules. A no-op write changes nothing (no new resourceVersion,
    /// no event), like the real server.
    func writeLocked(
        _ resource: ResourceDescriptor, key: String, old: StoredObject, proposed: JSONValue, scope: WriteScope,
        appliedFields: [String: ServerSideApply.FieldSet]? = nil
    ) throws(APIError) -> JSONValue {
        var object = proposed
        try checkIdentity(&object, resource: resource)
        let oldMeta = old.object["metadata"]?.objectValue ?? [:]
        var metadata = object["metadata"]?.objectValue ?? [:]
        let name = oldMeta["name"]?.stringValue ?? ""
        if let newName = metadata["name"]?.stringValue, newName != name {
            throw .badRequest("the name of the object (\(newName)) does not match the name on the URL (\(name))")
        }
        if resource.namespaced, let ns = metadata["namespace"]?.stringValue, !ns.isEmpty,
            ns != oldMeta["namespace"]?.stringValue
        {
            throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        for field in ["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "resourceVersion"] {
            metadata[field] = oldMeta[field]
        }
        metadata.removeValue(forKey: "managedFields")
        metadata.removeValue(forKey: "selfLink")
        object["metadata"] = .object(metadata)
        try KindRules.normalizeTimes(&object, resource: resource)

        let causes = ObjectValidation.metadataProblems(object, resource: resource)
            + KindRules.problems(object, old: old.object, resource: resource, scope: scope)
        if !causes.isEmpty { throw .invalid(resource, name, causes) }
        if oldMeta["deletionTimestamp"] != nil {
            let added = Set(Self.finalizers(object)).subtracting(Self.finalizers(old.object))
            if !added.isEmpty {
                throw .invalid(
                    resource, name,
                    [APIError.invalidCause("metadata.finalizers", "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers \(added.sorted())", reason: "FieldValueForbidden")])
            }
        }
        if KindRules.tracksGeneration(resource), Self.specChanged(old.object, object, resource: resource) {
            let generation = oldMeta["generation"]?.intValue ?? 1
            object["metadata"]!["generation"] = .int(generation + 1)
        }
        var new = old
        new.object = object
        if let appliedFields { new.appliedFields = appliedFields }
        if object == old.object {
            tables[resource.id]!.objects[key] = new
            return old.object
        }
        if oldMeta["deletionTimestamp"] != nil, Self.finalizers(object).isEmpty {
            let deleted = commitLocked(resource, key: key, old: new, new: nil)
            afterDeletionLocked(deleted)
            return deleted
        }
        let committed = commitLocked(resource, key: key, old: old, new: new)
        if Set(Self.ownerUIDs(object)) != Set(Self.ownerUIDs(old.object)) {
            collectIfOrphanedLocked(resource, key: key)
        }
        return committed
    }

    /// Whether anything but metadata (and status, for kinds with a status subresource) changed —
    /// what bumps metadata.generation.
    static func specChanged(_ a: JSONValue, _ b: JSONValue, resource: ResourceDescriptor) -> Bool {
        var x = a.objectValue ?? [:]
        var y = b.objectValue ?? [:]
        for field in ["metadata", "apiVersion", "kind"] + (resource.hasStatusSubresource ? ["status"] : []) {
            x.removeValue(forKey: field)
            y.removeValue(forKey: field)
        }
        return x != y
    }

    /// Applies the subresource rules: the main resource keeps the stored status, `/status` keeps
    /// everything but status.
    static func scoped(_ proposed: JSONValue, old: JSONValue, scope: WriteScope, resource: ResourceDescriptor) -> JSONValue {
        switch scope {
        case .everything: return proposed
        case .main:
            guard resource.hasStatusSubresource else { return proposed }
            var result = proposed
            result["status"] = old["status"]
            return result
        case .status:
            var result = old
            result["status"] = proposed["status"]
            result["metadata"]!["resourceVersion"] = proposed["metadata"]?["resourceVersion"]
            return result
        }
    }

    func existing(_ resource: ResourceDescriptor, namespace: String?, name: String) throws(APIError) -> (String, StoredObject) {
        let key = Self.key(namespace: resource.namespaced ? namespace : nil, name: name)
        guard let stored = tables[resource.id]?.objects[key] else { throw .notFound(resource, name) }
        return (key, stored)
    }

    /// PUT: the body must carry the current resourceVersion.
    func updateLocked(
        _ resource: ResourceDescriptor, namespace: String?, name: String, body: JSONValue, scope: WriteScope,
        requireResourceVersion: Bool = true
    ) throws(APIError) -> JSONValue {
        guard case .object = body else { throw .badRequest("the body of the request must be a JSON object") }
        let (key, old) = try existing(resource, namespace: namespace, name: name)
        let sent = body["metadata"]?["resourceVersion"]?.stringValue ?? ""
        if sent.isEmpty {
            if requireResourceVersion {
                throw .invalid(
                    resource, name,
                    [APIError.invalidCause("metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")])
            }
        } else if sent != old.object["metadata"]?["resourceVersion"]?.stringValue {
            throw .conflict(resource, name)
        }
        var proposed = Self.scoped(body, old: old.object, scope: scope, resource: resource)
        proposed["metadata"]!["resourceVersion"] = old.object["metadata"]?["resourceVersion"]
        return try writeLocked(resource, key: key, old: old, proposed: proposed, scope: scope)
    }

    /// JSON merge patch; a `metadata.resourceVersion` in the patch is a precondition.
    func mergePatchLocked(
        _ resource: ResourceDescriptor, namespace: String?, name: String, patch: JSONValue, scope: WriteScope
    ) throws(APIError) -> JSONValue {
        guard case .object = patch else { throw .badRequest("a merge patch must be a JSON object") }
        let (key, old) = try existing(resource, namespace: namespace, name: name)
        if let sent = patch["metadata"]?["resourceVersion"]?.stringValue,
            sent != old.object["metadata"]?["resourceVersion"]?.stringValue
        {
            throw .conflict(resource, name)
        }
        let patched = MergePatch.apply(patch, to: old.object)
        var proposed = Self.scoped(patched, old: old.object, scope: scope, resource: resource)
        if proposed["metadata"] == nil { proposed["metadata"] = [:] }
        return try writeLocked(resource, key: key, old: old, proposed: proposed, scope: scope)
    }

    /// JSON patch (RFC 6902); a failing operation (e.g. `test`) answers 422 and changes nothing.
    func jsonPatchLocked(
        _ resource: ResourceDescriptor, namespace: String?, name: String, patch: JSONValue, scope: WriteScope
    ) throws(APIError) -> JSONValue {
        let (key, old) = try existing(resource, namespace: namespace, name: name)
        let patched: JSONValue
        do {
            patched = try JSONPatch.apply(patch, to: old.object)
        } catch {
            throw APIError(code: 422, reason: "Invalid", message: error.message, name: name, group: resource.group, kind: resource.kind)
        }
        var proposed = Self.scoped(patched, old: old.object, scope: scope, resource: resource)
        if proposed["metadata"] == nil { proposed["metadata"] = [:] }
        proposed["metadata"]!["resourceVersion"] = old.object["metadata"]?["resourceVersion"]
        return try writeLocked(resource, key: key, old: old, proposed: proposed, scope: scope)
    }

    // MARK: Server-side apply

    func applyLocked(
        _ resource: ResourceDescriptor, namespace: String?, name: String, config: JSONValue, manager: String,
        force: Bool, scope: WriteScope
    ) throws(APIError) -> JSONValue {
        guard case .object = config else { throw .badRequest("an apply configuration must be a JSON object") }
        if config["metadata"]?["managedFields"] != nil {
            throw .badRequest("metadata.managedFields must be nil")
        }
        if let bodyName = config["metadata"]?["name"]?.stringValue, bodyName != name {
            throw .badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        guard config["apiVersion"]?.stringValue != nil, config["kind"]?.stringValue != nil else {
            throw .badRequest("apiVersion and kind must be set in an apply configuration")
        }
        var effective = config
        if scope == .status {
            // Only status is applied through /status.
            effective = ["apiVersion": config["apiVersion"]!, "kind": config["kind"]!, "metadata": ["name": .string(name)]]
            effective["status"] = config["status"]
        } else if scope == .main, resource.hasStatusSubresource {
            effective["status"] = nil
        }
        let key = Self.key(namespace: resource.namespaced ? namespace : nil, name: name)
        guard let old = tables[resource.id]?.objects[key] else {
            if scope == .status { throw .notFound(resource, name) }
            var body = effective
            if body["metadata"] == nil { body["metadata"] = [:] }
            body["metadata"]!["name"] = .string(name)
            body["metadata"]!["resourceVersion"] = nil
            return try createLocked(resource, namespace: namespace, body: body, scope: scope, appliedBy: manager)
        }
        if let sent = config["metadata"]?["resourceVersion"]?.stringValue,
            sent != old.object["metadata"]?["resourceVersion"]?.stringValue
        {
            throw .conflict(resource, name)
        }
        let applied = ServerSideApply.fieldSet(of: effective)
        var managers = old.appliedFields
        // Conflicts: another applier owns a field this manager sets to a different value.
        var conflicts: [APIError.Cause] = []
        for (other, fields) in managers where other != manager {
            for path in fields.intersection(applied)
            where old.object.value(at: path) != effective.value(at: path) {
                conflicts.append(
                    APIError.Cause(
                        reason: "FieldManagerConflict", message: "conflict with \"\(other)\"",
                        field: "." + path.joined(separator: ".")))
            }
        }
        if !conflicts.isEmpty {
            if !force {
                throw APIError(
                    code: 409, reason: "Conflict",
                    message: "Apply failed with \(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s"): "
                        + conflicts.map { "\($0.message): \($0.field)" }.joined(separator: ", "),
                    name: name, group: resource.group, kind: resource.plural, causes: conflicts)
            }
            for other in managers.keys where other != manager { managers[other]!.subtract(applied) }
        }
        var object = old.object
        // Fields this manager applied before and no longer applies go, unless another manager still applies them.
        let ownedByOthers = managers.filter { $0.key != manager }.values.reduce(into: ServerSideApply.FieldSet()) {
            $0.formUnion($1)
        }
        for path in (managers[manager] ?? []).subtracting(applied) where !ownedByOthers.contains(path) {
            object = ServerSideApply.remove(path, from: object)
        }
        object = ServerSideApply.merge(effective, into: object)
        managers[manager] = applied
        var proposed = Self.scoped(object, old: old.object, scope: scope == .status ? .status : scope, resource: resource)
        if proposed["metadata"] == nil { proposed["metadata"] = [:] }
        proposed["metadata"]!["resourceVersion"] = old.object["metadata"]?["resourceVersion"]
        return try writeLocked(resource, key: key, old: old, proposed: proposed, scope: scope, appliedFields: managers)
    }

    // MARK: Delete and garbage collection

    func deleteLocked(
        _ resource: ResourceDescriptor, namespace: String?, name: String, propagation: PropagationPolicy?,
        preconditionUID: String? = nil, preconditionResourceVersion: String? = nil
    ) throws(APIError) -> JSONValue {
        let (key, old) = try existing(resource, namespace: namespace, name: name)
        let meta = old.object["metadata"]
        if let preconditionUID, preconditionUID != meta?["uid"]?.stringValue {
            throw .conflict(
                resource, name,
                "Precondition failed: UID in precondition: \(preconditionUID), UID in object meta: \(meta?["uid"]?.stringValue ?? "")")
        }
        if let preconditionResourceVersion, preconditionResourceVersion != meta?["resourceVersion"]?.stringValue {
            throw .conflict(
                resource, name,
                "Precondition failed: ResourceVersion in precondition: \(preconditionResourceVersion), ResourceVersion in object meta: \(meta?["resourceVersion"]?.stringValue ?? "")")
        }
        let uid = Self.uid(of: old.object) ?? ""
        let policy = propagation ?? .background
        if resource.id == ResourceDescriptor.namespaces.id {
            return deleteNamespaceLocked(key: key, old: old)
        }
        if policy == .orphan {
            for dependent in dependents[uid] ?? [] { removeOwnerReferenceLocked(dependentUID: dependent, ownerUID: uid) }
        }
        var finalizers = Self.finalizers(old.object)
        if policy == .foreground, !(dependents[uid] ?? []).isEmpty, !finalizers.contains("foregroundDeletion") {
            finalizers.append("foregroundDeletion")
        }
        if finalizers.isEmpty {
            let deleted = commitLocked(resource, key: key, old: old, new: nil)
            afterDeletionLocked(deleted)
            return deleted
        }
        // Graceful: mark and keep until the finalizers are gone.
        if meta?["deletionTimestamp"] != nil, finalizers == Self.finalizers(old.object) { return old.object }
        var marked = old
        marked.object["metadata"]!["finalizers"] = .array(finalizers.map(JSONValue.string))
        if meta?["deletionTimestamp"] == nil {
            marked.object["metadata"]!["deletionTimestamp"] = .string(Self.now())
            marked.object["metadata"]!["deletionGracePeriodSeconds"] = .int(0)
            if let generation = meta?["generation"]?.intValue { marked.object["metadata"]!["generation"] = .int(generation + 1) }
        }
        let committed = commitLocked(resource, key: key, old: old, new: marked)
        if finalizers.contains("foregroundDeletion") {
            for dependent in dependents[uid] ?? [] {
                guard let location = uidIndex[dependent], let descriptor = descriptors[location.resource],
                    let stored = stored(at: location)
                else { continue }
                let m = stored.object["metadata"]
                _ = try? deleteLocked(
                    descriptor, namespace: m?["namespace"]?.stringValue, name: m?["name"]?.stringValue ?? "",
                    propagation: .foreground)
            }
            finishForegroundDeletionLocked(ownerUID: uid)
        }
        return committed
    }

    /// After an object is gone: its dependents are collected, and an owner waiting in
    /// foreground deletion for it may now go.
    func afterDeletionLocked(_ deleted: JSONValue) {
        guard let uid = Self.uid(of: deleted) else { return }
        for dependent in dependents[uid] ?? [] { collectIfOrphanedLocked(dependentUID: dependent) }
        for owner in Self.ownerUIDs(deleted) { finishForegroundDeletionLocked(ownerUID: owner) }
        if let namespace = deleted["metadata"]?["namespace"]?.stringValue { finishNamespaceLocked(namespace) }
    }

    // MARK: Namespaces

    /// What the namespace controller does, synchronously: the namespace turns Terminating,
    /// everything in it is deleted (finalizers still hold objects), and the namespace goes once
    /// it is empty.
    private func deleteNamespaceLocked(key: String, old: StoredObject) -> JSONValue {
        let resource = ResourceDescriptor.namespaces
        var result = old.object
        if old.object["metadata"]?["deletionTimestamp"] == nil {
            var marked = old
            marked.object["metadata"]!["deletionTimestamp"] = .string(Self.now())
            marked.object["metadata"]!["deletionGracePeriodSeconds"] = .int(0)
            if marked.object["status"] == nil { marked.object["status"] = [:] }
            marked.object["status"]!["phase"] = "Terminating"
            result = commitLocked(resource, key: key, old: old, new: marked)
        }
        for (id, table) in tables {
            guard let descriptor = descriptors[id], descriptor.namespaced else { continue }
            for objectKey in keys(in: table, namespace: key) {
                guard let name = table.objects[objectKey]?.object["metadata"]?["name"]?.stringValue else { continue }
                _ = try? deleteLocked(descriptor, namespace: key, name: name, propagation: .background)
            }
        }
        finishNamespaceLocked(key)
        return tables[resource.id]?.objects[key]?.object ?? result
    }

    private func keys(in table: ResourceTable, namespace: String) -> [String] {
        let prefix = namespace + "/"
        var index = table.lowerBound(prefix)
        var keys: [String] = []
        while index < table.sortedKeys.count, table.sortedKeys[index].hasPrefix(prefix) {
            keys.append(table.sortedKeys[index])
            index += 1
        }
        return keys
    }

    /// Removes a Terminating namespace once nothing is left in it.
    private func finishNamespaceLocked(_ namespace: String) {
        let resource = ResourceDescriptor.namespaces
        guard let stored = tables[resource.id]?.objects[namespace],
            stored.object["metadata"]?["deletionTimestamp"] != nil, Self.finalizers(stored.object).isEmpty
        else { return }
        for (id, table) in tables where descriptors[id]?.namespaced == true {
            let index = table.lowerBound(namespace + "/")
            if index < table.sortedKeys.count, table.sortedKeys[index].hasPrefix(namespace + "/") { return }
        }
        commitLocked(resource, key: namespace, old: stored, new: nil)
    }

    private func finishForegroundDeletionLocked(ownerUID: String) {
        guard (dependents[ownerUID] ?? []).isEmpty, let location = uidIndex[ownerUID],
            let descriptor = descriptors[location.resource], let owner = stored(at: location),
            Self.finalizers(owner.object).contains("foregroundDeletion")
        else { return }
        var proposed = owner.object
        proposed["metadata"]!["finalizers"] = .array(
            Self.finalizers(owner.object).filter { $0 != "foregroundDeletion" }.map(JSONValue.string))
        _ = try? writeLocked(descriptor, key: location.key, old: owner, proposed: proposed, scope: .everything)
    }

    func collectIfOrphanedLocked(_ resource: ResourceDescriptor, key: String) {
        guard let stored = tables[resource.id]?.objects[key], let uid = Self.uid(of: stored.object) else { return }
        collectIfOrphanedLocked(dependentUID: uid)
    }

    /// The garbage collector, run synchronously: a dependent whose owners are all gone is deleted
    /// (background); one that still has a live owner loses only its dangling references.
    func collectIfOrphanedLocked(dependentUID: String) {
        guard options.garbageCollection, let location = uidIndex[dependentUID],
            let descriptor = descriptors[location.resource], let stored = stored(at: location)
        else { return }
        let owners = Self.ownerUIDs(stored.object)
        guard !owners.isEmpty else { return }
        let live = owners.filter { uidIndex[$0] != nil }
        if live.count == owners.count { return }
        let meta = stored.object["metadata"]
        if live.isEmpty {
            if meta?["deletionTimestamp"] != nil { return }
            _ = try? deleteLocked(
                descriptor, namespace: meta?["namespace"]?.stringValue, name: meta?["name"]?.stringValue ?? "",
                propagation: .background)
        } else {
            for owner in owners where uidIndex[owner] == nil {
                removeOwnerReferenceLocked(dependentUID: dependentUID, ownerUID: owner)
            }
        }
    }

    private func removeOwnerReferenceLocked(dependentUID: String, ownerUID: String) {
        guard let location = uidIndex[dependentUID], let descriptor = descriptors[location.resource],
            let stored = stored(at: location)
        else { return }
        var proposed = stored.object
        let remaining = (stored.object["metadata"]?["ownerReferences"]?.arrayValue ?? []).filter {
            $0["uid"]?.stringValue != ownerUID
        }
        proposed["metadata"]!["ownerReferences"] = remaining.isEmpty ? nil : .array(remaining)
        _ = try? writeLocked(descriptor, key: location.key, old: stored, proposed: proposed, scope: .everything)
    }
}
