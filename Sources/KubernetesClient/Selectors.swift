/// Builds label selector strings: `LabelSelector.equals(["a": "b"])` → `a=b`.
public enum LabelSelector {
    /// `k1=v1,k2=v2`, keys sorted for stable output.
    public static func equals(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// `key` (the label exists).
    public static func exists(_ key: String) -> String { key }

    /// `!key` (the label does not exist).
    public static func notExists(_ key: String) -> String { "!\(key)" }

    /// `key in (v1,v2)`.
    public static func `in`(_ key: String, _ values: [String]) -> String {
        "\(key) in (\(values.joined(separator: ",")))"
    }

    /// Joins requirements with `,` (logical AND), skipping empty ones.
    public static func all(_ requirements: String...) -> String {
        requirements.filter { !$0.isEmpty }.joined(separator: ",")
    }
}

/// Builds field selector strings, e.g. `FieldSelector.equals("metadata.name", "node-1")`.
public enum FieldSelector {
    public static func equals(_ field: String, _ value: String) -> String { "\(field)=\(value)" }
    public static func notEquals(_ field: String, _ value: String) -> String { "\(field)!=\(value)" }
}
