/// Where a kind lives in the API: group, version, plural and scope.
public struct ResourceDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// API group; empty for the core group (`/api/v1`).
    public var group: String
    public var version: String
    /// Lower-case plural used in URLs, e.g. `nodes`.
    public var plural: String
    public var kind: String
    public var namespaced: Bool
    /// Whether the kind has a `/status` subresource.
    public var hasStatus: Bool

    public init(group: String, version: String, plural: String, kind: String, namespaced: Bool, hasStatus: Bool) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.hasStatus = hasStatus
    }

    /// `v1` for the core group, `GROUP/VERSION` otherwise.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// The URL path of a collection or object, e.g. `/apis/batch/v1/namespaces/kwasm/jobs/NAME/status`.
    ///
    /// For a namespaced kind a `nil` namespace addresses all namespaces (list and watch only).
    public func path(namespace: String? = nil, name: String? = nil, subresource: Subresource? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace {
            path += "/namespaces/\(PathComponent.escape(namespace))"
        }
        path += "/\(plural)"
        if let name {
            path += "/\(PathComponent.escape(name))"
            if let subresource { path += "/\(subresource.rawValue)" }
        }
        return path
    }
}

/// A subresource addressed below an object.
public struct Subresource: RawRepresentable, Sendable, Hashable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let status = Subresource(rawValue: "status")
}

/// A Kubernetes kind with a typed model.
///
/// `apiVersion` and `kind` are optional because list items and some responses omit them; the
/// client fills them from ``resource`` before sending a body and after decoding one.
public protocol KubernetesResource: Codable, Sendable {
    static var resource: ResourceDescriptor { get }
    var apiVersion: String? { get set }
    var kind: String? { get set }
    var metadata: ObjectMeta { get set }
}

extension KubernetesResource {
    /// Sets `apiVersion` and `kind` from the descriptor when absent.
    public mutating func fillTypeMeta() {
        if apiVersion == nil { apiVersion = Self.resource.apiVersion }
        if kind == nil { kind = Self.resource.kind }
    }

    /// An owner reference pointing at this object (requires `metadata.name` and `metadata.uid`).
    public func ownerReference(controller: Bool? = nil, blockOwnerDeletion: Bool? = nil) -> OwnerReference {
        OwnerReference(
            apiVersion: Self.resource.apiVersion, kind: Self.resource.kind, name: metadata.name ?? "",
            uid: metadata.uid ?? "", controller: controller, blockOwnerDeletion: blockOwnerDeletion)
    }
}

/// A list response: `NodeList`, `JobList`, …
public struct ObjectList<Item: KubernetesResource>: Codable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ListMeta
    public var items: [Item]

    public init(metadata: ListMeta = ListMeta(), items: [Item]) {
        self.apiVersion = Item.resource.apiVersion
        self.kind = Item.resource.kind + "List"
        self.metadata = metadata
        self.items = items
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        metadata = try container.decodeIfPresent(ListMeta.self, forKey: .metadata) ?? ListMeta()
        // The server writes `"items": null` for an empty list in some versions.
        items = try container.decodeIfPresent([Item].self, forKey: .items) ?? []
    }
}

extension ObjectList: Equatable where Item: Equatable {}
extension ObjectList: Hashable where Item: Hashable {}

enum PathComponent {
    /// Percent-escapes a path segment (names are DNS labels, but never trust input to be).
    static func escape(_ segment: String) -> String {
        var allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:@".utf8.reduce(into: Set<UInt8>()) {
            $0.insert($1)
        }
        allowed.remove(UInt8(ascii: "/"))
        var result = ""
        for byte in segment.utf8 {
            if allowed.contains(byte) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
