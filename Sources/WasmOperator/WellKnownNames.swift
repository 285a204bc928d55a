/// Names shared with the installer, the Helm chart and the docs (docs/design/contracts.md).
public enum WellKnown {
    /// Node annotation users set: `true` installs, `false` or absent uninstalls.
    public static let nodeAnnotation = "kwasm.sh/kwasm-node"
    /// Node label set only when the node is verified ready; RuntimeClasses schedule on it.
    public static let provisionedLabel = "kwasm.sh/kwasm-provisioned"
    public static let managedByLabel = "app.kubernetes.io/managed-by"
    public static let managedByValue = "kwasm-operator"
    public static let operationLabel = "kwasm.sh/operation"
    public static let nodeHashLabel = "kwasm.sh/node-hash"
    public static let specHashLabel = "kwasm.sh/spec-hash"
    /// Job annotation carrying the full node name (a label value cannot hold 253 characters).
    public static let nodeNameAnnotation = "kwasm.sh/node"
    /// WasmNodeStatus annotation: the node's boot ID when it was last installed or checked.
    /// A different boot ID on the Node means the host rebooted, so we re-check for drift.
    public static let bootIDAnnotation = "kwasm.sh/boot-id"
    /// WasmNodeStatus annotation: the Node's containerRuntimeVersion at the last install or check.
    public static let containerRuntimeVersionAnnotation = "kwasm.sh/container-runtime-version"
    /// Node annotation users set to retry a Failed node now: any value not yet seen starts a fresh
    /// round of attempts (the WasmNodeStatus records the last value acted on, so it is level-based).
    public static let retryAnnotation = "kwasm.sh/retry"
    /// Field manager for server-side apply and the name events are reported by.
    public static let fieldManager = "kwasm-operator"
    /// Where the installer container sees the host's root filesystem.
    public static let hostRootMount = "/host"
}
