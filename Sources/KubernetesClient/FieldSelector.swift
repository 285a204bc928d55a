/// Builds field selector strings, e.g. `FieldSelector.equals("metadata.name", "node-1")`.
public enum FieldSelector {
    public static func equals(_ field: String, _ value: String) -> String { "\(field)=\(value)" }
    public static func notEquals(_ field: String, _ value: String) -> String { "\(field)!=\(value)" }
}
