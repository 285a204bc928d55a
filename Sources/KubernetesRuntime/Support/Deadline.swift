/// A request that did not finish before its deadline.
public struct DeadlineExceeded: Error, Sendable, Hashable, CustomStringConvertible {
    public static let code = "DeadlineExceeded"
    public var description: String { "\(Self.code): the operation did not finish in time" }
}

/// Runs `operation`, giving up (and cancelling it) at `deadline`; `nil` means no deadline.
func withDeadline<T: Sendable>(
    _ deadline: ContinuousClock.Instant?, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    guard let deadline else { return try await operation() }
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(until: deadline, clock: .continuous)
            throw DeadlineExceeded()
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw DeadlineExceeded() }
        return first
    }
}
