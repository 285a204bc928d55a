/// `v1.Toleration`.
public struct Toleration: Codable, Sendable, Hashable {
    public var key: String?
    /// `Exists` or `Equal` (the default).
    public var `operator`: String?
    public var value: String?
    /// Empty matches every effect.
    public var effect: String?
    public var tolerationSeconds: Int64?

    public init(
        key: String? = nil, operator: String? = nil, value: String? = nil, effect: String? = nil,
        tolerationSeconds: Int64? = nil
    ) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }

    /// Tolerates every taint (what node-level installers such as DaemonSet pods use).
    public static let everything = Toleration(operator: "Exists")
}
