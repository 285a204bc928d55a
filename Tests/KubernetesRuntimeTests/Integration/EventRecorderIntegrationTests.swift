import FakeKubernetesAPI
import KubernetesEnvtest
import KubernetesClient
import Testing
@testable import KubernetesRuntime

/// The events.k8s.io/v1 recorder against the fake and the real API server.
@Suite struct EventRecorderIntegrationTests {
    func events(_ cluster: TestCluster) async throws -> [Event] {
        try await cluster.client.list(Event.self, namespace: "default").items
    }

    @Test(arguments: TestServerKind.available)
    func repeatsAreCountedInOneEventsSeries(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            let node = try await cluster.client.create(Node(metadata: ObjectMeta(name: "n1")))
            let recorder = EventRecorder(client: cluster.client, reportingController: "kwasm.sh/operator", reportingInstance: "test", patchInterval: .zero)
            for _ in 0..<5 {
                await recorder.record(.warning, reason: "InvalidAnnotation", action: "Reconcile", note: "value \"maybe\" is not true or false", regarding: node)
            }
            var stored = try await events(cluster)
            #expect(stored.count == 1)
            #expect(stored.first?.series?.count == 5)
            #expect(stored.first?.regarding?.name == "n1")
            #expect(stored.first?.type == "Warning")
            #expect(stored.first?.reportingController == "kwasm.sh/operator")

            await recorder.record(.normal, reason: "Installed", action: "Install", note: "runtimes installed", regarding: node)
            stored = try await events(cluster)
            #expect(stored.count == 2)
            #expect(cluster.requestCounts(resource: "events")["create"] == 2)
        }
    }

    @Test(arguments: TestServerKind.available)
    func heldBackRepeatsAreWrittenByFlush(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            let node = try await cluster.client.create(Node(metadata: ObjectMeta(name: "n1")))
            let recorder = EventRecorder(client: cluster.client, reportingController: "kwasm.sh/operator", reportingInstance: "test", patchInterval: .milliseconds(50))
            for _ in 0..<3 {
                await recorder.record(.normal, reason: "Waiting", action: "Install", note: "waiting for the installer", regarding: node)
            }
            #expect(cluster.requestCounts(resource: "events")["patch", default: 0] == 0, "repeats within the patch interval are held back")
            try await Task.sleep(for: .milliseconds(60))
            await recorder.flush()
            #expect(try await events(cluster).first?.series?.count == 3)
        }
    }

    @Test(arguments: TestServerKind.available)
    func aFloodOfDistinctEventsIsRateLimited(_ kind: TestServerKind) async throws {
        try await TestCluster.run(kind) { cluster in
            let node = try await cluster.client.create(Node(metadata: ObjectMeta(name: "n1")))
            let recorder = EventRecorder(client: cluster.client, reportingController: "kwasm.sh/operator", reportingInstance: "test", burst: 5)
            for index in 0..<50 {
                await recorder.record(.warning, reason: "Failed", action: "Install", note: "attempt \(index) failed", regarding: node)
            }
            #expect(try await events(cluster).count == 5)
        }
    }
}
