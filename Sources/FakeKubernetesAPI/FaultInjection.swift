import Foundation

/// What an injected fault does to a request.
public enum Fault: Sendable, Equatable {
    /// Answer 500 InternalError.
    case internalError
    /// Answer 429 TooManyRequests with `Retry-After`.
    case tooManyRequests(retryAfterSeconds: Int)
    /// Answer with any status code (a Failure Status with the given reason).
    case status(code: Int, reason: String)
    /// Never answer; the connection stays open until the client gives up (client timeouts).
    case hang
    /// Answer normally, but only after a delay.
    case delay(Duration)
    /// Close the connection without answering.
    case closeConnection
}

/// What a fault rule sees of a request.
public struct RequestInfo: Sendable {
    /// Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection; or the
    /// HTTP method in lowercase for non-resource paths.
    public var verb: String
    public var method: String
    public var path: String
    /// Resource plural (`pods`), empty for non-resource paths.
    public var resource: String
    public var subresource: String?
    public var namespace: String?
    public var name: String?
}

/// Queued fault rules: each applies to the next N matching requests, first rule first.
final class FaultInjector: @unchecked Sendable {
    private struct Rule {
        var remaining: Int
        var fault: Fault
        var matches: @Sendable (RequestInfo) -> Bool
    }

    private struct ConflictTarget: Hashable {
        var resource: String
        var namespace: String?
        var name: String
    }

    private let lock = NSLock()
    private var rules: [Rule] = []
    private var conflicts: [ConflictTarget: Int] = [:]

    func add(count: Int, fault: Fault, matching: @escaping @Sendable (RequestInfo) -> Bool) {
        lock.withLock { rules.append(Rule(remaining: count, fault: fault, matches: matching)) }
    }

    func addConflict(resource: String, namespace: String?, name: String, count: Int) {
        lock.withLock {
            conflicts[ConflictTarget(resource: resource, namespace: namespace, name: name), default: 0] += count
        }
    }

    func clear() {
        lock.withLock {
            rules.removeAll()
            conflicts.removeAll()
        }
    }

    /// The fault for this request, consuming one use of the first matching rule.
    func take(for request: RequestInfo) -> Fault? {
        lock.withLock {
            guard let index = rules.firstIndex(where: { $0.matches(request) }) else { return nil }
            let fault = rules[index].fault
            rules[index].remaining -= 1
            if rules[index].remaining <= 0 { rules.remove(at: index) }
            return fault
        }
    }

    /// Whether this write must fail with 409 Conflict (consumes the injection).
    func takeConflict(for request: RequestInfo) -> Bool {
        guard let name = request.name else { return false }
        return lock.withLock {
            let target = ConflictTarget(resource: request.resource, namespace: request.namespace, name: name)
            guard let count = conflicts[target], count > 0 else { return false }
            conflicts[target] = count == 1 ? nil : count - 1
            return true
        }
    }

    var pendingCount: Int { lock.withLock { rules.reduce(0) { $0 + $1.remaining } + conflicts.values.reduce(0, +) } }
}
