import Foundation
import ClusterSimulator
import KubernetesClient
import Synchronization

struct Percentiles {
    var p50: Double
    var p99: Double
    init(_ values: [Double]) {
        let sorted = values.sorted()
        func at(_ q: Double) -> Double { sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * q))] }
        p50 = at(0.5)
        p99 = at(0.99)
    }
}

struct BenchResult {
    var nodes: Int
    var convergeSeconds: Double
    var idealSeconds: Double
    var annotationToJob: Percentiles
    var jobDoneToReady: Percentiles
    /// A Job succeeded → the next waiting node's Job created (the slot frees once the result is recorded).
    var slotHandoff: Percentiles
    /// Job created → Job succeeded (the simulated install time plus the simulator's own delay).
    var jobRun: Percentiles
    /// Time the benchmark took to annotate all nodes.
    var annotateSeconds: Double
    var reconcilesPerNode: Double
    /// CPU time (user + system) of the operator and of the simulated cluster (fake API server + kubelet).
    var operatorCPUSeconds: Double
    var clusterCPUSeconds: Double
    var meanReconcileMs: Double
    var requestsPerNode: [String: Double]
    /// Write requests per node by resource (Events included: they are best effort and rate limited).
    var writesPerNodeByResource: [String: Double]
    var writesPerNode: Double
    var peakRSSMiB: Double
    /// After convergence every Node was touched (an unrelated annotation) so each is reconciled
    /// again: the reconciles that followed and the write requests they made (should be 0).
    var convergedReconciles: Double
    var convergedWrites: Double

    var overheadPerNodeMs: Double { max(0, convergeSeconds - idealSeconds) * 1000 / Double(nodes) }

    func print() {
        Swift.print(String(format: "converged in %.2f s (install time × waves under the cap: %.2f s; overhead %.2f ms/node)", convergeSeconds, idealSeconds, overheadPerNodeMs))
        Swift.print(String(format: "annotation seen → Job created: p50 %.1f ms, p99 %.1f ms", annotationToJob.p50, annotationToJob.p99))
        Swift.print(String(format: "Job succeeded → node Ready:    p50 %.1f ms, p99 %.1f ms", jobDoneToReady.p50, jobDoneToReady.p99))
        Swift.print(String(format: "Job succeeded → next Job:      p50 %.1f ms, p99 %.1f ms (a slot frees once the result is recorded)", slotHandoff.p50, slotHandoff.p99))
        Swift.print(String(format: "Job created → Job succeeded:   p50 %.1f ms, p99 %.1f ms (simulated install time + simulator)", jobRun.p50, jobRun.p99))
        Swift.print(String(format: "annotating all nodes took %.2f s", annotateSeconds))
        Swift.print(String(format: "node reconciles: %.2f per node, mean %.2f ms each", reconcilesPerNode, meanReconcileMs))
        let verbs = requestsPerNode.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f", $0.key, $0.value) }.joined(separator: ", ")
        Swift.print("operator API requests per node: \(verbs) (writes \(String(format: "%.2f", writesPerNode)))")
        let resources = writesPerNodeByResource.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f", $0.key, $0.value) }.joined(separator: ", ")
        Swift.print("writes per node by resource: \(resources)")
        Swift.print(String(format: "operator peak RSS: %.1f MiB", peakRSSMiB))
        Swift.print(String(format: "re-reconciling the converged nodes (each Node touched): %.0f reconciles, %.0f writes", convergedReconciles, convergedWrites))
        Swift.print(String(format: "CPU time during the run: operator %.2f s, simulated cluster %.2f s", operatorCPUSeconds, clusterCPUSeconds))
    }
}

final class Timeline: Sendable {
    struct State {
        var annotated: [String: ContinuousClock.Instant] = [:]
        var jobCreated: [String: ContinuousClock.Instant] = [:]
        var jobDone: [String: ContinuousClock.Instant] = [:]
        var ready: [String: ContinuousClock.Instant] = [:]
    }
    let state = Mutex(State())
}

struct BenchRun {
    let api: BenchAPI
    let nodes: Int
    let installMilliseconds: Int
    let maxParallel: Int
    let binDir: String
    let timeout: Duration

    func run() async throws -> BenchResult {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("kwasm-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let cluster = try await startCluster(work: work)
        defer { cluster.stop() }
        let kubeconfig = cluster.kubeconfig
        let client = try KubernetesClient(configuration: ClientConfiguration.load(kubeconfigPath: kubeconfig))
        defer { Task { try? await client.shutdown() } }
        let kubelet = cluster.startKubelet(client)
        defer { kubelet?.cancel() }

        let metricsPort = try freePort()
        let operatorProcess = try spawn(binDir + "/kwasm-operator", [
            "run", "--kubeconfig", kubeconfig, "--namespace", "kwasm", "--installer-image",
            "ghcr.io/kwasm/installer@sha256:" + String(repeating: "0", count: 64), "--max-parallel", String(maxParallel),
            "--health-probe-bind-address", "0", "--metrics-bind-address", "127.0.0.1:\(metricsPort)", "--log-level", "warning",
        ], log: work + "/operator.log")
        defer { operatorProcess.terminate(); operatorProcess.waitUntilExit() }

        let timeline = Timeline()
        let watchers = Task { await watch(client: client, timeline: timeline) }
        defer { watchers.cancel() }
        // Let the operator sync its caches and the watches start.
        try await waitForMetrics(port: metricsPort)
        try await Task.sleep(for: .milliseconds(500))

        let operatorCPUAtStart = cpuSeconds(pid: operatorProcess.processIdentifier)
        let clusterCPUAtStart = cluster.cpuSeconds()
        let start = ContinuousClock.now
        try await annotateAllNodes(client: client, "kwasm.sh/kwasm-node", "true") { name in
            timeline.state.withLock { $0.annotated[name] = .now }
        }
        let annotated = ContinuousClock.now - start
        let endDeadline = ContinuousClock.now + timeout
        while timeline.state.withLock({ $0.ready.count }) < nodes {
            guard ContinuousClock.now < endDeadline else { throw BenchError("timed out: \(timeline.state.withLock { $0.ready.count })/\(nodes) Ready") }
            guard operatorProcess.isRunning else { throw BenchError("operator exited; see \(work)/operator.log") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let converged = timeline.state.withLock { $0.ready.values.max() ?? .now } - start
        let rss = peakRSS(pid: operatorProcess.processIdentifier)
        let operatorCPU = cpuSeconds(pid: operatorProcess.processIdentifier) - operatorCPUAtStart
        let clusterCPU = cluster.cpuSeconds() - clusterCPUAtStart
        let metrics = try await httpGet(port: metricsPort, path: "/metrics")
        let requests = parseRequests(metrics)
        let reconciles = sample(metrics, "kwasm_reconcile_duration_seconds_count")
        let reconcileSeconds = sample(metrics, "kwasm_reconcile_duration_seconds_sum")

        let (convergedReconciles, convergedWrites) = try await reconcileConverged(client: client, metricsPort: metricsPort)

        let state = timeline.state.withLock { $0 }
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
        let toJob = state.jobCreated.compactMap { node, created in state.annotated[node].map { ms(created - $0) } }
        let toReady = state.ready.compactMap { node, ready in state.jobDone[node].map { ms(ready - $0) } }
        let cap = maxParallel > 0 ? maxParallel : max(1, (nodes + 9) / 10)
        // The i-th Job beyond the cap can start once the (i - cap)-th Job finished.
        let created = state.jobCreated.values.sorted()
        let done = state.jobDone.values.sorted()
        let handoff = created.indices.dropFirst(cap).compactMap { index in
            index - cap < done.count ? max(0, ms(created[index] - done[index - cap])) : nil
        }
        let run = state.jobDone.compactMap { node, finished in state.jobCreated[node].map { ms(finished - $0) } }
        let waves = (nodes + cap - 1) / cap
        let writes = writeCount(requests)
        return BenchResult(
            nodes: nodes, convergeSeconds: ms(converged) / 1000, idealSeconds: Double(waves * installMilliseconds) / 1000,
            annotationToJob: Percentiles(toJob), jobDoneToReady: Percentiles(toReady),
            slotHandoff: Percentiles(handoff), jobRun: Percentiles(run), annotateSeconds: ms(annotated) / 1000,
            reconcilesPerNode: reconciles / Double(nodes), operatorCPUSeconds: operatorCPU, clusterCPUSeconds: clusterCPU, meanReconcileMs: reconciles > 0 ? reconcileSeconds * 1000 / reconciles : .nan,
            requestsPerNode: requests.mapValues { $0 / Double(nodes) },
            writesPerNodeByResource: parseRequests(metrics, by: "resource", verbs: Self.writeVerbs).mapValues { $0 / Double(nodes) },
            writesPerNode: writes / Double(nodes),
            peakRSSMiB: rss / 1024, convergedReconciles: convergedReconciles, convergedWrites: convergedWrites)
    }

    /// Sets one annotation on every simulated Node, 32 patches in flight.
    func annotateAllNodes(
        client: KubernetesClient, _ key: String, _ value: String, beforePatching: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws {
        let patch: JSONValue = .object(["metadata": .object(["annotations": .object([key: .string(value)])])])
        try await withThrowingTaskGroup(of: Void.self) { group in
            let names = (0..<nodes).map { "node-\($0)" }
            let perWorker = (names.count + 31) / 32
            for worker in 0..<32 {
                let slice = names.dropFirst(worker * perWorker).prefix(perWorker)
                group.addTask {
                    for name in slice {
                        beforePatching(name)
                        let _: Node = try await client.mergePatch(Node.self, name: name, patch: patch)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Touches every (converged) Node with an annotation the operator ignores, waits until each
    /// was reconciled again, and returns those reconciles and the writes they issued.
    func reconcileConverged(client: KubernetesClient, metricsPort: Int) async throws -> (reconciles: Double, writes: Double) {
        func snapshot() async throws -> (reconciles: Double, writes: Double) {
            let metrics = try await httpGet(port: metricsPort, path: "/metrics")
            let requests = parseRequests(metrics)
            return (sample(metrics, "kwasm_reconcile_duration_seconds_count"),
                    writeCount(requests))
        }
        // Let the last Ready nodes' own watch events settle first.
        try await Task.sleep(for: .seconds(2))
        let before = try await snapshot()
        try await annotateAllNodes(client: client, "bench.kwasm.sh/touched", "1")
        let deadline = ContinuousClock.now + timeout
        while try await snapshot().reconciles < before.reconciles + Double(nodes), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        try await Task.sleep(for: .seconds(1))
        let after = try await snapshot()
        return (after.reconciles - before.reconciles, after.writes - before.writes)
    }

    /// Watches Jobs and WasmNodeStatuses, noting when each node's install Job appeared and
    /// finished and when its status became Ready.
    func watch(client: KubernetesClient, timeline: Timeline) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    do {
                        var options = WatchOptions(allowBookmarks: false)
                        options.decodesSpec = false
                        for try await event in client.watch(Job.self, namespace: "kwasm", options: options) {
                            guard let job = event.object, let node = job.metadata.annotations?["kwasm.sh/node"],
                                  job.metadata.labels?["kwasm.sh/operation"] == "install" else { continue }
                            let now = ContinuousClock.now
                            let done = job.status?.conditions?.contains { $0.type == "Complete" && $0.status == "True" } == true
                            timeline.state.withLock { state in
                                if state.jobCreated[node] == nil { state.jobCreated[node] = now }
                                if done, state.jobDone[node] == nil { state.jobDone[node] = now }
                            }
                        }
                    } catch {
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do {
                        for try await event in client.watch(WasmNodeStatus.self, options: WatchOptions(allowBookmarks: false)) {
                            guard let status = event.object, let node = status.metadata.name, status.status?.phase == .ready else { continue }
                            let now = ContinuousClock.now
                            timeline.state.withLock { state in if state.ready[node] == nil { state.ready[node] = now } }
                        }
                    } catch {
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
        }
    }

    func waitForMetrics(port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let reply = try? await httpGet(port: port, path: "/metrics"), reply.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("operator metrics endpoint did not come up")
    }

    /// The value of an unlabelled sample, e.g. `kwasm_reconcile_duration_seconds_count`.
    func sample(_ reply: HTTPReply, _ name: String) -> Double {
        for line in reply.body.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "") ?? .nan
        }
        return .nan
    }

    static let writeVerbs: Set<String> = ["create", "update", "patch", "delete"]

    /// Write requests among requests counted by verb.
    func writeCount(_ requests: [String: Double]) -> Double {
        Self.writeVerbs.reduce(0.0) { $0 + (requests[$1] ?? 0) }
    }

    /// `kwasm_api_requests_total{verb="…",resource="…",…} N` summed by one label (`verb` by
    /// default), counting only the given verbs when `verbs` is set.
    func parseRequests(_ reply: HTTPReply, by label: String = "verb", verbs: Set<String>? = nil) -> [String: Double] {
        func value(of name: String, in line: Substring) -> String? {
            guard let range = line.range(of: name + "=\"") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != "\"" })
        }
        var sums: [String: Double] = [:]
        for line in reply.body.split(separator: "\n") where line.hasPrefix("kwasm_api_requests_total{") {
            guard let key = value(of: label, in: line) else { continue }
            if let verbs, !verbs.contains(value(of: "verb", in: line) ?? "") { continue }
            sums[key, default: 0] += Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return sums
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func spawn(_ path: String, _ arguments: [String], log: String) throws -> Process {
    guard FileManager.default.isExecutableFile(atPath: path) else { throw BenchError("\(path) not found; build it first (swift build -c release)") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    FileManager.default.createFile(atPath: log, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    return process
}

/// User + system CPU time of a process so far, seconds (`/proc/PID/stat` fields 14 and 15).
func cpuSeconds(pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return .nan }
    // Fields after the command name start at field 3.
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// VmHWM of a process, KiB.
func peakRSS(pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return .nan }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Double(line.split(separator: " ").dropFirst().first ?? "") ?? .nan
    }
    return .nan
}
