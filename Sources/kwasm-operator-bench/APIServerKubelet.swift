import ClusterSimulator
import Foundation
import KubernetesClient

/// The simulated kubelet and Job controller for the real-API-server mode: everything through the API, as
/// the real components would. For each new installer Job it creates the Pod (owned by the Job), waits the
/// simulated install time, then writes the Pod's terminated state (the installer's report as termination
/// message) and the Job's Complete condition through their `status` subresources.
struct APIServerKubelet: Sendable {
    let client: KubernetesClient
    let installTime: Duration

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            var seen = Set<String>()
            var resourceVersion: String?
            while !Task.isCancelled {
                do {
                    if resourceVersion == nil {
                        let jobs = try await client.listAll(Job.self)
                        resourceVersion = jobs.metadata.resourceVersion
                        for job in jobs.items where seen.insert(key(job)).inserted && !isFinished(job) {
                            group.addTask { await self.complete(job) }
                        }
                    }
                    var options = WatchOptions(resourceVersion: resourceVersion, allowBookmarks: true)
                    options.decodesSpec = true
                    for try await event in client.watch(Job.self, options: options) {
                        if case .error = event { resourceVersion = nil; break }
                        guard let job = event.object else { continue }
                        resourceVersion = job.metadata.resourceVersion ?? resourceVersion
                        if event.type == .added, seen.insert(key(job)).inserted, !isFinished(job) {
                            group.addTask { await self.complete(job) }
                        }
                    }
                } catch {
                    resourceVersion = nil
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }
    }

    private func key(_ job: Job) -> String { job.metadata.uid ?? "\(job.metadata.namespace ?? "")/\(job.metadata.name ?? "")" }

    private func isFinished(_ job: Job) -> Bool {
        (job.status?.conditions ?? []).contains { ($0.type == "Complete" || $0.type == "Failed") && $0.status == "True" }
    }

    private func complete(_ job: Job) async {
        guard let name = job.metadata.name, let namespace = job.metadata.namespace,
              let container = job.spec?.template.spec?.containers.first else { return }
        let node = job.spec?.template.spec?.nodeName ?? job.metadata.annotations?["kwasm.sh/node"] ?? ""
        let podName = "\(name.prefix(57))-\(String(UInt32.random(in: 0...UInt32.max), radix: 36).prefix(5))"
        var labels = job.spec?.template.metadata?.labels ?? [:]
        labels["job-name"] = name
        labels["batch.kubernetes.io/job-name"] = name
        let pod = Pod(
            metadata: ObjectMeta(
                name: podName, namespace: namespace, labels: labels, annotations: job.spec?.template.metadata?.annotations,
                ownerReferences: [job.ownerReference(controller: true, blockOwnerDeletion: true)]),
            spec: PodSpec(nodeName: node, containers: [Container(name: container.name, image: container.image)], restartPolicy: "Never"))
        do {
            _ = try await client.create(pod)
            let started = Self.now()
            let _: Job = try await client.patchStatus(Job.self, name: name, namespace: namespace, patch: ["status": ["active": 1, "startTime": .string(started)]])
            try await Task.sleep(for: installTime)
            let finished = Self.now()
            let terminated: JSONValue = ["exitCode": 0, "reason": "Completed", "message": .string(report(job, container: container)),
                                         "startedAt": .string(started), "finishedAt": .string(finished)]
            let _: Pod = try await client.patchStatus(Pod.self, name: podName, namespace: namespace, patch: ["status": [
                "phase": "Succeeded",
                "containerStatuses": [["name": .string(container.name), "image": .string(container.image ?? ""), "imageID": "",
                                       "ready": false, "restartCount": 0, "state": ["terminated": terminated]]],
            ]])
            let _: Job = try await client.patchStatus(Job.self, name: name, namespace: namespace, patch: ["status": [
                "active": nil, "succeeded": 1, "completionTime": .string(finished),
                "conditions": [["type": "Complete", "status": "True", "lastProbeTime": .string(finished), "lastTransitionTime": .string(finished)]],
            ]])
        } catch {
            // The Job (or its namespace) went away mid-run: nothing to report.
        }
    }

    /// The installer's JSON report for the Job's operation (`kwasm.sh/operation`) and `KWASM_RUNTIMES`.
    private func report(_ job: Job, container: Container) -> String {
        switch job.metadata.labels?["kwasm.sh/operation"] {
        case "uninstall": return InstallerReports.uninstalled()
        case "status": return InstallerReports.status(drift: [])
        default:
            let runtimes = container.env?.first { $0.name == "KWASM_RUNTIMES" }?.value ?? ""
            return InstallerReports.installed(runtimes: runtimes.split(separator: ",").map(String.init))
        }
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}
