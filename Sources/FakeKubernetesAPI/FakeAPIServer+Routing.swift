import Foundation
import KubernetesClient

extension FakeAPIServer {
    /// Answers one HTTP request: faults first, then authentication, then discovery or the
    /// resource API. Every request is logged and counted.
    func answer(_ request: HTTPRequest, drop: @escaping @Sendable () -> Void) async -> HTTPAnswer {
        let (path, query) = Self.split(request.uri)
        let params = QueryParameters(query)
        let resourcePath = ResourcePath(path: path)
        let watchParam = params.flag("watch")
        let verb = resourcePath?.verb(method: request.method, watch: watchParam) ?? request.method.lowercased()
        let info = RequestInfo(
            verb: verb, method: request.method, path: path, resource: resourcePath?.plural ?? "",
            subresource: resourcePath?.subresource, namespace: resourcePath?.namespace, name: resourcePath?.name)
        var record = RequestRecord(
            verb: verb, method: request.method, path: path, query: query, resource: info.resource,
            subresource: info.subresource, namespace: info.namespace, name: info.name, status: 0,
            fieldManager: params["fieldManager"])
        let answer = await answerUnlogged(request, info: info, path: path, params: params, resourcePath: resourcePath, drop: drop)
        switch answer {
        case .response(let status, _, _): record.status = status
        case .watch: record.status = 200
        case .hang, .closeConnection: record.status = 0
        }
        log.record(record)
        return answer
    }

    private func answerUnlogged(
        _ request: HTTPRequest, info: RequestInfo, path: String, params: QueryParameters, resourcePath: ResourcePath?,
        drop: @escaping @Sendable () -> Void
    ) async -> HTTPAnswer {
        if let fault = faults.take(for: info) {
            switch fault {
            case .internalError: return .error(.internalError("injected fault"))
            case .tooManyRequests(let seconds): return .error(.tooManyRequests(retryAfterSeconds: seconds))
            case .status(let code, let reason): return .error(APIError(code: code, reason: reason, message: "injected fault"))
            case .hang: return .hang
            case .closeConnection: return .closeConnection
            case .delay(let duration): try? await Task.sleep(for: duration)
            }
        }
        if let token = bearerToken, request.header("Authorization") != "Bearer \(token)" {
            return .error(.unauthorized)
        }
        if let discovery = discovery(path) { return discovery }
        guard let resourcePath else { return .error(.pathNotFound(path)) }
        do {
            return try answerResource(request, info: info, path: resourcePath, params: params, drop: drop)
        } catch {
            return .error(error)
        }
    }

    static func split(_ uri: String) -> (String, String) {
        guard let q = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<q]), String(uri[uri.index(after: q)...]))
    }

    // MARK: Resources

    private func answerResource(
        _ request: HTTPRequest, info: RequestInfo, path: ResourcePath, params: QueryParameters,
        drop: @escaping @Sendable () -> Void
    ) throws(APIError) -> HTTPAnswer {
        guard let resource = store.withLock({ store.descriptor(group: path.group, plural: path.plural) }),
            resource.version == path.version
        else { throw .pathNotFound(info.path) }
        if !resource.namespaced, path.namespace != nil { throw .pathNotFound(info.path) }
        if let sub = path.subresource, !(sub == "status" && resource.hasStatusSubresource) {
            throw .pathNotFound(info.path)
        }
        if resource.namespaced, path.name != nil, path.namespace == nil { throw .pathNotFound(info.path) }
        let scope: WriteScope = path.subresource == "status" ? .status : .main
        let namespace = path.namespace
        if params["dryRun"] != nil { throw .badRequest("dryRun is not supported by the fake API server") }
        if ["update", "patch", "delete"].contains(info.verb), faults.takeConflict(for: info) {
            throw .conflict(resource, path.name ?? "", "injected conflict")
        }

        switch info.verb {
        case "get":
            return .json(200, try store.withLock { () throws(APIError) -> JSONValue in
                try store.getLocked(resource, namespace: namespace, name: path.name!)
            })
        case "list":
            return try answerList(resource, namespace: namespace, params: params)
        case "watch":
            return try answerWatch(resource, path: path, params: params, drop: drop)
        case "create":
            guard path.name == nil, path.subresource == nil else { throw .methodNotAllowed("POST is not allowed here") }
            let body = try parseBody(request)
            return .json(201, try store.withLock { () throws(APIError) -> JSONValue in
                try store.createLocked(resource, namespace: namespace, body: body, scope: .main)
            })
        case "update":
            guard let name = path.name else { throw .methodNotAllowed("PUT needs a name") }
            let body = try parseBody(request)
            return .json(200, try store.withLock { () throws(APIError) -> JSONValue in
                try store.updateLocked(
                    resource, namespace: namespace, name: name, body: body, scope: scope,
                    requireResourceVersion: !KindRules.allowsUnconditionalUpdate(resource))
            })
        case "patch":
            guard let name = path.name else { throw .methodNotAllowed("PATCH needs a name") }
            return try answerPatch(request, resource, namespace: namespace, name: name, scope: scope, params: params)
        case "delete":
            return try answerDelete(request, resource, namespace: namespace, name: path.name!, params: params)
        case "deletecollection":
            return try answerDeleteCollection(resource, namespace: namespace, params: params)
        default:
            throw .methodNotAllowed("\(request.method) is not supported")
        }
    }

    private func answerList(_ resource: ResourceDescriptor, namespace: String?, params: QueryParameters) throws(APIError) -> HTTPAnswer {
        var query = ListQuery(namespace: namespace)
        query.labels = try LabelSelector.query(params["labelSelector"] ?? "")
        query.fields = try FieldSelector(parsing: params["fieldSelector"] ?? "", resource: resource)
        if let limit = params["limit"] {
            guard let value = Int(limit), value >= 0 else { throw .badRequest("invalid limit: \(limit)") }
            query.limit = value
        }
        query.continueToken = params["continue"]
        query.resourceVersion = params["resourceVersion"]
        query.resourceVersionMatch = params["resourceVersionMatch"]
        return .json(200, try store.withLock { () throws(APIError) -> JSONValue in try store.listLocked(resource, query) })
    }

    private func answerWatch(
        _ resource: ResourceDescriptor, path: ResourcePath, params: QueryParameters, drop: @escaping @Sendable () -> Void
    ) throws(APIError) -> HTTPAnswer {
        let namespace = path.namespace
        var query = WatchQuery(namespace: namespace)
        query.labels = try LabelSelector.query(params["labelSelector"] ?? "")
        var fieldText = params["fieldSelector"] ?? ""
        if let name = path.name { fieldText += (fieldText.isEmpty ? "" : ",") + "metadata.name=\(name)" }
        query.fields = try FieldSelector(parsing: fieldText, resource: resource)
        query.resourceVersion = params["resourceVersion"]
        query.allowBookmarks = params.flag("allowWatchBookmarks")
        query.sendInitialEvents = params.flag("sendInitialEvents")
        var timeout: Duration? = nil
        if let text = params["timeoutSeconds"] {
            guard let seconds = Int(text), seconds >= 0 else { throw .badRequest("invalid timeoutSeconds: \(text)") }
            if seconds > 0 { timeout = .seconds(seconds) }
        }
        let opened = store.withLock { store.watchLocked(resource, query, drop: drop) }
        return .watch(stream: opened.stream, timeout: timeout, cancel: opened.finish)
    }

    private func answerPatch(
        _ request: HTTPRequest, _ resource: ResourceDescriptor, namespace: String?, name: String, scope: WriteScope,
        params: QueryParameters
    ) throws(APIError) -> HTTPAnswer {
        let contentType = (request.header("Content-Type") ?? "").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        switch contentType {
        case "application/merge-patch+json":
            let patch = try parseBody(request)
            return .json(200, try store.withLock { () throws(APIError) -> JSONValue in
                try store.mergePatchLocked(resource, namespace: namespace, name: name, patch: patch, scope: scope)
            })
        case "application/json-patch+json":
            let patch = try parseBody(request)
            return .json(200, try store.withLock { () throws(APIError) -> JSONValue in
                try store.jsonPatchLocked(resource, namespace: namespace, name: name, patch: patch, scope: scope)
            })
        case "application/apply-patch+yaml", "application/apply-patch+json":
            guard let manager = params["fieldManager"], !manager.isEmpty else {
                throw APIError(
                    code: 422, reason: "Invalid",
                    message: "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                    kind: "PatchOptions",
                    causes: [APIError.invalidCause("fieldManager", "Required value: is required for apply patch", reason: "FieldValueRequired")])
            }
            let config = try parseBody(request, yamlAllowed: true)
            let existed = store.withLock { store.tables[resource.id]?.objects[ObjectStore.key(namespace: resource.namespaced ? namespace : nil, name: name)] != nil }
            let result = try store.withLock { () throws(APIError) -> JSONValue in
                try store.applyLocked(
                    resource, namespace: namespace, name: name, config: config, manager: manager,
                    force: params.flag("force"), scope: scope)
            }
            return .json(existed ? 200 : 201, result)
        default:
            throw .unsupportedMediaType(contentType)
        }
    }

    private func answerDelete(
        _ request: HTTPRequest, _ resource: ResourceDescriptor, namespace: String?, name: String, params: QueryParameters
    ) throws(APIError) -> HTTPAnswer {
        var propagation = params["propagationPolicy"].flatMap(PropagationPolicy.init(rawValue:))
        if let text = params["propagationPolicy"], propagation == nil {
            throw .badRequest("invalid propagationPolicy: \(text)")
        }
        var uid: String? = nil
        var rv: String? = nil
        if !request.body.isEmpty {
            let options = try parseBody(request)
            if let text = options["propagationPolicy"]?.stringValue {
                guard let policy = PropagationPolicy(rawValue: text) else {
                    throw .badRequest("invalid propagationPolicy: \(text)")
                }
                propagation = policy
            }
            if options["orphanDependents"]?.boolValue == true { propagation = .orphan }
            uid = options["preconditions"]?["uid"]?.stringValue
            rv = options["preconditions"]?["resourceVersion"]?.stringValue
        }
        return .json(200, try store.withLock { () throws(APIError) -> JSONValue in
            try store.deleteLocked(
                resource, namespace: namespace, name: name, propagation: propagation, preconditionUID: uid,
                preconditionResourceVersion: rv)
        })
    }

    private func answerDeleteCollection(_ resource: ResourceDescriptor, namespace: String?, params: QueryParameters) throws(APIError) -> HTTPAnswer {
        var query = ListQuery(namespace: namespace)
        query.labels = try LabelSelector.query(params["labelSelector"] ?? "")
        query.fields = try FieldSelector(parsing: params["fieldSelector"] ?? "", resource: resource)
        let propagation = params["propagationPolicy"].flatMap(PropagationPolicy.init(rawValue:))
        return .json(200, try store.withLock { () throws(APIError) -> JSONValue in
            var list = try store.listLocked(resource, query)
            var deleted: [JSONValue] = []
            for item in list["items"]?.arrayValue ?? [] {
                let meta = item["metadata"]
                if let object = try? store.deleteLocked(
                    resource, namespace: meta?["namespace"]?.stringValue, name: meta?["name"]?.stringValue ?? "",
                    propagation: propagation)
                {
                    deleted.append(object)
                }
            }
            list["items"] = .array(deleted)
            return list
        })
    }

    private func parseBody(_ request: HTTPRequest, yamlAllowed: Bool = false) throws(APIError) -> JSONValue {
        do {
            return try JSONValue.parse(request.body)
        } catch {
            let hint = yamlAllowed ? " (the fake accepts apply configurations as JSON only, which is valid YAML)" : ""
            throw .badRequest("the request body is not valid JSON\(hint): \(error)")
        }
    }

    // MARK: Discovery

    private func discovery(_ path: String) -> HTTPAnswer? {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        switch trimmed {
        case "/healthz", "/readyz", "/livez":
            return .response(status: 200, headers: [("Content-Type", "text/plain")], body: Array("ok".utf8))
        case "/version":
            return .json(200, [
                "major": "1", "minor": "32", "gitVersion": "v1.32.0-fake", "platform": "linux/amd64",
                "goVersion": "fake", "compiler": "fake",
            ])
        case "/api":
            return .json(200, [
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"]],
            ])
        case "/apis":
            let groups = Dictionary(grouping: resources.filter { !$0.group.isEmpty }, by: \.group)
            let list: [JSONValue] = groups.keys.sorted().map { group in
                let versions = Set(groups[group]!.map(\.version)).sorted()
                let entries: [JSONValue] = versions.map { ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)] }
                return ["name": .string(group), "versions": .array(entries), "preferredVersion": entries[0]]
            }
            return .json(200, ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(list)])
        default:
            let parts = trimmed.split(separator: "/").map(String.init)
            let group: String
            let version: String
            if parts.count == 2, parts[0] == "api" {
                (group, version) = ("", parts[1])
            } else if parts.count == 3, parts[0] == "apis" {
                (group, version) = (parts[1], parts[2])
            } else if parts.count == 2, parts[0] == "apis" {
                let matching = resources.filter { $0.group == parts[1] }
                guard let first = matching.first else { return nil }
                let entry: JSONValue = ["groupVersion": .string(first.apiVersion), "version": .string(first.version)]
                return .json(200, [
                    "kind": "APIGroup", "apiVersion": "v1", "name": .string(parts[1]), "versions": [entry],
                    "preferredVersion": entry,
                ])
            } else {
                return nil
            }
            let served = resources.filter { $0.group == group && $0.version == version }.sorted { $0.plural < $1.plural }
            guard !served.isEmpty else { return nil }
            var entries: [JSONValue] = []
            for resource in served {
                var entry: JSONValue = [
                    "name": .string(resource.plural), "singularName": .string(resource.kind.lowercased()),
                    "namespaced": .bool(resource.namespaced), "kind": .string(resource.kind),
                    "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
                ]
                if !resource.shortNames.isEmpty { entry["shortNames"] = .array(resource.shortNames.map(JSONValue.string)) }
                entries.append(entry)
                if resource.hasStatusSubresource {
                    entries.append([
                        "name": .string("\(resource.plural)/status"), "singularName": "",
                        "namespaced": .bool(resource.namespaced), "kind": .string(resource.kind),
                        "verbs": ["get", "patch", "update"],
                    ])
                }
            }
            return .json(200, [
                "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(served[0].apiVersion),
                "resources": .array(entries),
            ])
        }
    }
}
