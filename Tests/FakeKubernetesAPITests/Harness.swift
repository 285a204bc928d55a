import AsyncHTTPClient
import FakeKubernetesAPI
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// A started fake server plus a raw HTTP client talking to it over a real socket.
struct Harness {
    let api: FakeAPIServer
    let client: HTTPClient
    let base: String

    struct Answer {
        var status: Int
        var body: JSONValue
        var headers: HTTPHeaders
        var text: String
    }

    static func run(
        options: FakeAPIServer.Options = .init(), client configuration: HTTPClient.Configuration = .init(),
        _ body: (Harness) async throws -> Void
    ) async throws {
        let api = FakeAPIServer(options: options)
        _ = try await api.start(host: "127.0.0.1", port: 0)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let harness = Harness(api: api, client: client, base: api.baseURL)
        do {
            try await body(harness)
        } catch {
            try? await client.shutdown()
            await api.shutdown()
            throw error
        }
        try await client.shutdown()
        await api.shutdown()
    }

    func request(
        _ method: HTTPMethod, _ path: String, body: JSONValue? = nil, contentType: String = "application/json",
        headers: [(String, String)] = [], timeout: TimeAmount = .seconds(10)
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body.serialized()))
        }
        let response = try await client.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: 64 << 20)
        let text = String(buffer: buffer)
        let json = (try? JSONValue.parse(text)) ?? .null
        return Answer(status: Int(response.status.code), body: json, headers: response.headers, text: text)
    }

    func get(_ path: String) async throws -> Answer { try await request(.GET, path) }
    func post(_ path: String, _ body: JSONValue) async throws -> Answer { try await request(.POST, path, body: body) }
    func put(_ path: String, _ body: JSONValue) async throws -> Answer { try await request(.PUT, path, body: body) }
    func delete(_ path: String, _ body: JSONValue? = nil) async throws -> Answer {
        try await request(.DELETE, path, body: body)
    }
    func mergePatch(_ path: String, _ body: JSONValue) async throws -> Answer {
        try await request(.PATCH, path, body: body, contentType: "application/merge-patch+json")
    }
    func apply(_ path: String, _ body: JSONValue) async throws -> Answer {
        try await request(.PATCH, path, body: body, contentType: "application/apply-patch+yaml")
    }

    /// Opens a watch and returns a reader of its JSON lines.
    func watch(_ path: String, timeout: TimeAmount = .seconds(30)) async throws -> WatchReader {
        var request = HTTPClientRequest(url: base + path)
        request.method = .GET
        let response = try await client.execute(request, timeout: timeout)
        return WatchReader(status: Int(response.status.code), body: response.body)
    }
}

/// Frames a watch response into events (JSON lines, split across chunks arbitrarily).
final class WatchReader: @unchecked Sendable {
    let status: Int
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var buffer: [UInt8] = []
    private(set) var ended = false
    private(set) var failed: (any Error)?

    init(status: Int, body: HTTPClientResponse.Body) {
        self.status = status
        self.iterator = body.makeAsyncIterator()
    }

    /// The next event, or nil when the stream ended (cleanly or not: see `failed`).
    func next() async throws -> JSONValue? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if line.isEmpty { continue }
                return try JSONValue.parse(line)
            }
            if ended { return nil }
            do {
                guard let chunk = try await iterator.next() else {
                    ended = true
                    continue
                }
                buffer.append(contentsOf: chunk.readableBytesView)
            } catch {
                ended = true
                failed = error
                return nil
            }
        }
    }

    /// Next event that is not a BOOKMARK.
    func nextChange() async throws -> JSONValue? {
        while let event = try await next() {
            if event["type"]?.stringValue != "BOOKMARK" { return event }
        }
        return nil
    }
}

extension JSONValue {
    var type: String? { self["type"]?.stringValue }
    var objectName: String? { self["object"]?["metadata"]?["name"]?.stringValue ?? self["metadata"]?["name"]?.stringValue }
    var rv: String { self["metadata"]?["resourceVersion"]?.stringValue ?? "" }
    var uid: String { self["metadata"]?["uid"]?.stringValue ?? "" }
}

func node(_ name: String, labels: [String: JSONValue] = [:]) -> JSONValue {
    var metadata: JSONValue = ["name": .string(name)]
    if !labels.isEmpty { metadata["labels"] = .object(labels) }
    return ["apiVersion": "v1", "kind": "Node", "metadata": metadata, "spec": [:]]
}

func pod(_ name: String, namespace: String = "default", nodeName: String? = nil, labels: [String: JSONValue] = [:])
    -> JSONValue
{
    var metadata: JSONValue = ["name": .string(name), "namespace": .string(namespace)]
    if !labels.isEmpty { metadata["labels"] = .object(labels) }
    var spec: JSONValue = ["containers": [["name": "c", "image": "busybox"]]]
    if let nodeName { spec["nodeName"] = .string(nodeName) }
    return ["apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec]
}

func wasmNodeStatus(_ name: String, status: JSONValue? = nil, owner: JSONValue? = nil) -> JSONValue {
    var object: JSONValue = [
        "apiVersion": "kwasm.sh/v1alpha1", "kind": "WasmNodeStatus", "metadata": ["name": .string(name)],
        "spec": ["nodeName": .string(name)],
    ]
    if let status { object["status"] = status }
    if let owner { object["metadata"]!["ownerReferences"] = [owner] }
    return object
}

func ownerReference(to object: JSONValue, controller: Bool = true) -> JSONValue {
    [
        "apiVersion": object["apiVersion"]!, "kind": object["kind"]!, "name": object["metadata"]!["name"]!,
        "uid": object["metadata"]!["uid"]!, "controller": .bool(controller),
    ]
}

/// Runs `body`, failing if it takes longer than `seconds`.
func within<T: Sendable>(_ seconds: Double = 10, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw TimedOut()
        }
        group.cancelAll()
        return value
    }
}

struct TimedOut: Error {}

let wnsPath = "/apis/kwasm.sh/v1alpha1/wasmnodestatuses"
let nodesPath = "/api/v1/nodes"
