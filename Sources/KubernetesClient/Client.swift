import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOHTTP1

/// A Kubernetes API client, generic over typed resources (``KubernetesResource``).
///
/// One instance holds one connection pool; share it and call ``shutdown()`` once at the end
/// (if it is dropped without that, its connections are closed in the background).
/// For namespaced kinds the `namespace` argument defaults to the object's own namespace (for
/// writes) and then to ``defaultNamespace``; for list and watch `nil` means all namespaces.
public final class KubernetesClient: Sendable {
    public let configuration: ClientConfiguration
    let transport: HTTPTransport
    let logger: Logger
    private let isShutDown = NIOLockedValueBox(false)

    /// - Parameters:
    ///   - observer: called after every HTTP attempt, e.g. to count requests by verb.
    public init(configuration: ClientConfiguration, logger: Logger = Logger(label: "kubernetes-client"), observer: RequestObserver? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        self.transport = try HTTPTransport(configuration: configuration, observer: observer, logger: logger)
    }

    /// Closes connections. Call once, after all requests and watches have ended.
    public func shutdown() async throws {
        guard isShutDown.withLockedValue({ value in defer { value = true }; return !value }) else { return }
        try await transport.shutdown()
    }

    deinit {
        // Forgetting shutdown() must not crash or leak: AsyncHTTPClient keeps itself alive until this completes.
        if !isShutDown.withLockedValue({ $0 }) {
            _ = transport.httpClient.shutdown()
        }
    }

    public var defaultNamespace: String { configuration.defaultNamespace }

    // MARK: Reading

    /// Reads one object. Throws ``KubernetesError`` with reason `NotFound` when it does not exist.
    public func get<R: KubernetesResource>(_ type: R.Type, name: String, namespace: String? = nil) async throws -> R {
        let path = try objectPath(type, name: name, namespace: namespace)
        let body = try await transport.send(APIRequest(method: .GET, path: path, verb: .get, resource: type.resource.description))
        return try decodeObject(type, body, context: path)
    }

    /// Reads one object, or `nil` when it does not exist.
    public func getIfExists<R: KubernetesResource>(_ type: R.Type, name: String, namespace: String? = nil) async throws -> R? {
        do {
            return try await get(type, name: name, namespace: namespace)
        } catch let error as KubernetesError where error.isNotFound {
            return nil
        }
    }

    /// Lists one page. For a namespaced kind `namespace: nil` lists all namespaces.
    public func list<R: KubernetesResource>(_ type: R.Type, namespace: String? = nil, options: ListOptions = ListOptions()) async throws -> ObjectList<R> {
        let path = type.resource.path(namespace: type.resource.namespaced ? namespace : nil)
        let body = try await transport.send(
            APIRequest(method: .GET, path: path, query: options.queryItems, verb: .list, resource: type.resource.description))
        var list: ObjectList<R>
        do {
            list = try JSONDecoder.kubernetes(decodesSpec: options.decodesSpec).decode(ObjectList<R>.self, from: Data(body))
        } catch {
            throw KubernetesClientError(.decoding, "GET \(path): response is not a \(type.resource.kind)List: \(error)")
        }
        for index in list.items.indices { list.items[index].fillTypeMeta() }
        return list
    }

    /// Lists every page (following `continue` tokens, `options.limit` objects at a time) and returns
    /// one list whose `metadata.resourceVersion` is that of the consistent snapshot, ready to watch from.
    /// A `continue` token that expired mid-way surfaces as a 410 ``KubernetesError``; relist from scratch.
    public func listAll<R: KubernetesResource>(_ type: R.Type, namespace: String? = nil, options: ListOptions = ListOptions(limit: 500)) async throws -> ObjectList<R> {
        var options = options
        var page = try await list(type, namespace: namespace, options: options)
        var items = page.items
        let resourceVersion = page.metadata.resourceVersion
        while let token = page.metadata.continueToken, !token.isEmpty {
            try Task.checkCancellation()
            options.continueToken = token
            // The continue token pins the snapshot; a resourceVersion must not be sent with it.
            options.resourceVersion = nil
            options.resourceVersionMatch = nil
            page = try await list(type, namespace: namespace, options: options)
            items.append(contentsOf: page.items)
        }
        return ObjectList(metadata: ListMeta(resourceVersion: page.metadata.resourceVersion ?? resourceVersion), items: items)
    }

    /// Watches a collection. The stream ends when the server closes it (e.g. `timeoutSeconds`);
    /// resume from the last event's ``WatchEvent/resourceVersion``. A 410 either throws
    /// ``KubernetesError`` (`isGone`) when the request starts or arrives as ``WatchEvent/error(_:)``.
    /// Iteration pulls from the connection (back-pressure); dropping the iterator closes the connection.
    public func watch<R: KubernetesResource>(_ type: R.Type, namespace: String? = nil, options: WatchOptions = WatchOptions()) -> AsyncThrowingStream<WatchEvent<R>, any Error> {
        let path = type.resource.path(namespace: type.resource.namespaced ? namespace : nil)
        let request = APIRequest(method: .GET, path: path, query: options.queryItems, verb: .watch, resource: type.resource.description)
        // Deadline of the whole stream: the server's own timeout plus slack, or effectively none.
        let timeout: Duration = options.timeoutSeconds.map { .seconds($0 + 60) } ?? .seconds(24 * 3600)
        let reader = WatchReader<R>(
            transport: transport, request: request, timeout: timeout, maxEventBytes: options.maxEventBytes,
            decodesSpec: options.decodesSpec)
        return AsyncThrowingStream(unfolding: { try await reader.next() })
    }

    // MARK: Writing

    /// Creates an object (`generateName` is honoured) and returns it as stored by the server.
    public func create<R: KubernetesResource>(_ object: R, namespace: String? = nil) async throws -> R {
        let path = R.resource.path(namespace: try resolveNamespace(R.self, namespace ?? object.metadata.namespace))
        let body = try await transport.send(
            APIRequest(method: .POST, path: path, body: try encode(object), verb: .create, resource: R.resource.description))
        return try decodeObject(R.self, body, context: path)
    }

    /// Replaces (PUT) an object we own. Send the `resourceVersion` you read: a stale one fails with `Conflict`.
    /// Never use this for objects owned by others (Nodes): patch them instead.
    public func replace<R: KubernetesResource>(_ object: R) async throws -> R {
        try await put(object, subresource: nil)
    }

    /// Replaces the `/status` subresource (the main resource's fields are ignored by the server).
    public func replaceStatus<R: KubernetesResource>(_ object: R) async throws -> R {
        try await put(object, subresource: .status)
    }

    /// Deletes an object. Throws `NotFound` when it is already gone.
    public func delete<R: KubernetesResource>(_ type: R.Type, name: String, namespace: String? = nil, options: DeleteOptions = DeleteOptions()) async throws {
        let path = try objectPath(type, name: name, namespace: namespace)
        _ = try await transport.send(
            APIRequest(method: .DELETE, path: path, body: try encode(options.body), verb: .delete, resource: type.resource.description))
    }

    /// Deletes an object with a propagation policy (`background` lets the garbage collector remove dependents).
    public func delete<R: KubernetesResource>(_ type: R.Type, name: String, namespace: String? = nil, propagation: PropagationPolicy) async throws {
        try await delete(type, name: name, namespace: namespace, options: DeleteOptions(propagationPolicy: propagation))
    }

    /// Deletes every object of a kind that matches `options`' selectors (`DELETE` on the collection).
    /// For a namespaced kind this is one namespace (`nil`: the default namespace), as the API allows no more.
    public func deleteAll<R: KubernetesResource>(_ type: R.Type, namespace: String? = nil, options: ListOptions = ListOptions(), deleteOptions: DeleteOptions = DeleteOptions()) async throws {
        let path = type.resource.path(namespace: try resolveNamespace(type, namespace))
        var query: [(String, String)] = []
        if let labelSelector = options.labelSelector, !labelSelector.isEmpty { query.append(("labelSelector", labelSelector)) }
        if let fieldSelector = options.fieldSelector, !fieldSelector.isEmpty { query.append(("fieldSelector", fieldSelector)) }
        _ = try await transport.send(
            APIRequest(method: .DELETE, path: path, query: query, body: try encode(deleteOptions.body), verb: .deletecollection, resource: type.resource.description))
    }

    /// Applies a JSON merge patch (RFC 7386): objects merge, `null` deletes a key, arrays are replaced whole.
    /// Include `metadata.resourceVersion` in the patch to make it conditional.
    public func mergePatch<R: KubernetesResource>(_ type: R.Type, name: String, namespace: String? = nil, patch: JSONValue, subresource: Subresource? = nil) async throws -> R {
        let path = try objectPath(type, name: name, namespace: namespace, subresource: subresource)
        let body = try await transport.send(
            APIRequest(method: .PATCH, path: path, body: try encode(patch), contentType: "application/merge-patch+json", verb: .patch, resource: type.resource.description))
        return try decodeObject(type, body, context: path)
    }

    /// Merge-patches the `/status` subresource.
    public func patchStatus<R: KubernetesResource>(_ type: R.Type, name: String, namespace: String? = nil, patch: JSONValue) async throws -> R {
        try await mergePatch(type, name: name, namespace: namespace, patch: patch, subresource: .status)
    }

    /// Server-side apply: the server merges the fields in `object` owned by `fieldManager`.
    /// `force` takes over fields owned by other managers instead of failing with `Conflict`.
    /// Leave `metadata.resourceVersion` unset unless the apply should be conditional.
    public func apply<R: KubernetesResource>(_ object: R, fieldManager: String, force: Bool = false, subresource: Subresource? = nil) async throws -> R {
        guard let name = object.metadata.name, !name.isEmpty else {
            throw KubernetesClientError(.invalidRequest, "apply \(R.resource.kind): metadata.name is required")
        }
        let path = try objectPath(R.self, name: name, namespace: object.metadata.namespace, subresource: subresource)
        var query = [("fieldManager", fieldManager)]
        if force { query.append(("force", "true")) }
        let body = try await transport.send(
            APIRequest(method: .PATCH, path: path, query: query, body: try encode(object), contentType: "application/apply-patch+yaml", verb: .patch, resource: R.resource.description))
        return try decodeObject(R.self, body, context: path)
    }

    // MARK: Helpers

    private func put<R: KubernetesResource>(_ object: R, subresource: Subresource?) async throws -> R {
        guard let name = object.metadata.name, !name.isEmpty else {
            throw KubernetesClientError(.invalidRequest, "replace \(R.resource.kind): metadata.name is required")
        }
        let path = try objectPath(R.self, name: name, namespace: object.metadata.namespace, subresource: subresource)
        let body = try await transport.send(
            APIRequest(method: .PUT, path: path, body: try encode(object), verb: .update, resource: R.resource.description))
        return try decodeObject(R.self, body, context: path)
    }

    private func resolveNamespace<R: KubernetesResource>(_ type: R.Type, _ namespace: String?) throws -> String? {
        guard type.resource.namespaced else { return nil }
        if let namespace, !namespace.isEmpty { return namespace }
        return configuration.defaultNamespace
    }

    private func objectPath<R: KubernetesResource>(_ type: R.Type, name: String, namespace: String?, subresource: Subresource? = nil) throws -> String {
        guard !name.isEmpty else {
            throw KubernetesClientError(.invalidRequest, "\(type.resource.kind): an empty name addresses no object")
        }
        return type.resource.path(namespace: try resolveNamespace(type, namespace), name: name, subresource: subresource)
    }

    private func encode<R: KubernetesResource>(_ object: R) throws -> [UInt8] {
        var object = object
        object.fillTypeMeta()
        return Array(try JSONEncoder.kubernetes.encode(object))
    }

    private func encode(_ value: JSONValue) throws -> [UInt8] {
        Array(try JSONEncoder.kubernetes.encode(value))
    }

    private func decodeObject<R: KubernetesResource>(_ type: R.Type, _ body: [UInt8], context: String) throws -> R {
        do {
            var object = try JSONDecoder().decode(R.self, from: Data(body))
            object.fillTypeMeta()
            return object
        } catch {
            throw KubernetesClientError(.decoding, "\(context): response is not a \(type.resource.kind): \(error)")
        }
    }
}

extension JSONEncoder {
    /// Compact output without escaped slashes (keeps label keys like `kwasm.sh/node` readable in logs).
    static var kubernetes: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }
}
