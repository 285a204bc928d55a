/// Whether the operator should have wasm runtimes on a node, from its annotation and labels.
public enum NodeSelection: Sendable, Equatable {
    /// Install (annotation `true`, `--node-selector` match, or `--auto-provision`).
    case selected
    /// Uninstall if anything is there (annotation `false` or absent and no selector match).
    case notSelected
    /// Annotation with a value other than `true`/`false`: treated as not selected, and reported.
    case invalidAnnotation(String)

    /// An explicit `false` opts a node out even when `--node-selector` or `--auto-provision`
    /// would select it; an invalid value never selects.
    public init(labels: [String: String], annotations: [String: String], configuration: OperatorConfiguration) {
        switch annotations[WellKnown.nodeAnnotation]?.trimmingWhitespace() {
        case "true": self = .selected
        case "false": self = .notSelected
        case let value?: self = .invalidAnnotation(value)
        case nil:
            if configuration.autoProvision || configuration.nodeSelector?.matches(labels) == true {
                self = .selected
            } else {
                self = .notSelected
            }
        }
    }

    public var isSelected: Bool { self == .selected }
}
