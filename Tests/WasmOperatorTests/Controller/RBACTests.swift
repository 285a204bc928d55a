import ClusterSimulator
import FakeKubernetesAPI
import Foundation
import KubernetesClient
import Synchronization
import Testing
@testable import WasmOperator

/// The chart grants exactly `Tests/chart/expected_rbac.json` (checked by the chart tests). This
/// suite checks the other half against the code: one scenario walks every path of the operator
/// and of `kwasm-operator cleanup` — leader election, install, failure with retries, invalid
/// annotation, drift, uninstall, a removed runtime, cleanup — and every request it sent must be
/// allowed by those rules (a real cluster would answer 403), while every granted verb must have
/// been used (least privilege).
@Suite(.serialized) struct RBACTests {
    /// One RBAC permission: API group, resource (with `/subresource`) and verb.
    struct Permission: Hashable, Comparable, CustomStringConvertible {
        var group: String
        var resource: String
        var verb: String
        var description: String { "\(verb) \(group.isEmpty ? "core" : group)/\(resource)" }
        static func < (a: Self, b: Self) -> Bool { a.description < b.description }
    }

    struct Rule: Decodable {
        var apiGroups: [String]
        var resources: [String]
        var verbs: [String]
        var resourceNames: [String]?
    }

    struct ExpectedRBAC: Decodable {
        var cluster: [Rule]
        var namespaced: [Rule]

        static func load() throws -> ExpectedRBAC {
            let file = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("chart/expected_rbac.json")
            return try JSONDecoder().decode(ExpectedRBAC.self, from: Data(contentsOf: file))
        }
    }

    /// What RBAC checks for one request the fake server logged: a server-side apply that created
    /// its object is authorized as `patch` and as `create` by a real API server.
    static func permissions(of record: FakeKubernetesAPI.RequestRecord) -> [Permission] {
        let parts = record.path.split(separator: "/").map(String.init)
        let group = parts.first == "apis" && parts.count > 1 ? parts[1] : ""
        let resource = record.subresource.map { "\(record.resource)/\($0)" } ?? record.resource
        var permissions = [Permission(group: group, resource: resource, verb: record.verb)]
        if record.verb == "patch", record.status == 201 {
            permissions.append(Permission(group: group, resource: resource, verb: "create"))
        }
        return permissions
    }

    static func allows(_ rules: [Rule], _ permission: Permission, name: String?) -> Bool {
        rules.contains { rule in
            rule.apiGroups.contains(permission.group) && rule.resources.contains(permission.resource)
                && rule.verbs.contains(permission.verb)
                && (rule.resourceNames == nil || name.map { rule.resourceNames!.contains($0) } == true)
        }
    }

    static func granted(_ rules: [Rule]) -> Set<Permission> {
        Set(rules.flatMap { rule in
            rule.apiGroups.flatMap { group in
                rule.resources.flatMap { resource in rule.verbs.map { Permission(group: group, resource: resource, verb: $0) } }
            }
        })
    }

    @Test func everyRequestIsAllowedByTheChartAndEveryGrantIsUsed() async throws {
        let rbac = try ExpectedRBAC.load()
        let drift = Mutex(false)
        let harness = try await OperatorHarness.start(behavior: { request in
            try? await Task.sleep(for: .milliseconds(20))
            if request.nodeName == "bad", request.operation == "install" {
                return .failed(exitCode: 1, report: InstallerReports.failed(code: "ChecksumMismatch", message: "sha256 mismatch"))
            }
            if request.operation == "status", drift.withLock({ value in defer { value = false }; return value }) {
                return .succeeded(report: InstallerReports.status(drift: ["config: runtime spin is missing"]))
            }
            return .succeeded(report: SimulatedCluster.defaultReport(for: request))
        })
        defer { Task { await harness.shutdown() } }
        // The harness reads and writes in-process from here on, so the request log holds only
        // what the operator and cleanup sent over HTTP.
        let leaderElected = OperatorHarness.configuration { configuration in
            configuration.leaderElect = true
            configuration.maxAttempts = 3
        }
        try harness.addNodes(["good", "bad"])
        try harness.addNodes(["typo"], annotation: "yes")
        let first = try harness.startOperator(leaderElected, identity: "replica-a")

        await eventually("good Ready") { harness.phase("good") == "Ready" && harness.label("good") == "true" }
        await eventually("bad Failed") { harness.phase("bad") == "Failed" }
        await eventually("typo reported") { harness.status("typo")?["status"]?["lastError"]?["code"]?.stringValue == "InvalidAnnotation" }
        // The same invalid value again makes the same Warning a series (the recorder patches its count later).
        try harness.cluster.annotate("typo", "kwasm.sh/kwasm-node", "nope")
        await eventually("second invalid value reported") { harness.events(reason: "InvalidAnnotation").count == 2 }
        try harness.cluster.annotate("typo", "kwasm.sh/kwasm-node", "yes")

        // Drift after a reboot: the label comes off, the node is re-installed.
        drift.withLock { $0 = true }
        try harness.cluster.setNodeInfo("good", bootID: "boot-2")
        await eventually("Drifted event") { harness.events(reason: "Drifted").count == 1 }
        await eventually("re-installed") {
            harness.cluster.statistics.operationsByNode["good"] == ["install", "status", "install"] && harness.phase("good") == "Ready"
        }
        await eventually("the repeated Warning's series patched", timeout: .seconds(30)) {
            harness.events(reason: "InvalidAnnotation").contains { $0["series"]?["count"]?.intValue ?? 0 >= 2 }
        }

        // Uninstall by annotation.
        try harness.cluster.annotate("good", "kwasm.sh/kwasm-node", "false")
        await eventually("uninstalled") { harness.status("good") == nil && harness.label("good") == nil }
        try harness.cluster.annotate("good", "kwasm.sh/kwasm-node", "true")
        await eventually("good Ready again") { harness.phase("good") == "Ready" }
        await harness.stop(first)

        // A runtime taken out of the configuration loses its RuntimeClass.
        let narrowed = try harness.startOperator(
            OperatorHarness.configuration { configuration in
                configuration.leaderElect = true
                configuration.runtimes = try! KnownWasmRuntimes.default.resolve(["wasmtime"])
            }, identity: "replica-b")
        await eventually("spin RuntimeClass deleted") { harness.runtimeClasses() == ["wasmtime"] }
        await harness.stop(narrowed)

        // The chart's pre-delete hook.
        let client = try OperatorHarness.makeClient(harness.api)
        let outcome = try await KwasmOperator.cleanup(
            configuration: leaderElected, client: client, logger: harness.logger, timeout: .seconds(30), handleSignals: false)
        try? await client.shutdown()
        #expect(outcome.succeeded, "\(outcome.message)")

        let log = harness.api.requestLog()
        #expect(!log.isEmpty)
        var used = Set<Permission>()
        var denied: [String: Int] = [:]
        for record in log where record.status != 0 {
            for permission in Self.permissions(of: record) {
                used.insert(permission)
                let allowedInNamespace = record.namespace == harness.namespace && Self.allows(rbac.namespaced, permission, name: record.name)
                if !allowedInNamespace, !Self.allows(rbac.cluster, permission, name: record.name) {
                    denied["\(permission) in namespace \(record.namespace ?? "-") (\(record.method) \(record.path))", default: 0] += 1
                }
            }
        }
        #expect(denied.isEmpty, "requests a real API server would deny with the chart's RBAC: \(denied.keys.sorted())")

        let unused = Self.granted(rbac.cluster).union(Self.granted(rbac.namespaced)).subtracting(used)
        #expect(unused.isEmpty, "granted by the chart but never used: \(unused.sorted())")
    }
}
