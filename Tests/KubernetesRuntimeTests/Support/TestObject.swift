import KubernetesClient

/// A ConfigMap-shaped kind for store and controller tests.
struct TestObject: KubernetesResource, Equatable {
    static let resource = ResourceDescriptor(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true, hasStatus: false)
    var apiVersion: String?
    var kind: String?
    var metadata: ObjectMeta
    var data: [String: String]?

    init(_ name: String, namespace: String = "default", value: String? = nil, resourceVersion: String? = nil) {
        apiVersion = "v1"
        kind = "ConfigMap"
        metadata = ObjectMeta(name: name, namespace: namespace, resourceVersion: resourceVersion)
        data = value.map { ["value": $0] }
    }
}
