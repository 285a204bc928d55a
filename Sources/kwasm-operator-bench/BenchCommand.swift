import ArgumentParser
import Foundation
import KubernetesClient

/// Benchmarks kwasm-operator against a simulated cluster, each in its own process:
/// `kwasm-dev-cluster` (fake API server + simulated kubelet) and `kwasm-operator run`.
/// Annotates N nodes at once and measures until every node is Ready.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kwasm-operator-bench",
        abstract: "Time to converge N simulated nodes, per-node latencies, API requests per node, operator peak RSS.")

    @Option(help: "Node counts to run, comma separated.")
    var nodes = "100,1000,5000"
    @Option(help: "Simulated installer run time (ms).")
    var installMilliseconds = 200
    @Option(help: "--max-parallel for the operator (0 = auto, 1 per 10 nodes).")
    var maxParallel = 0
    @Option(help: "Directory with kwasm-dev-cluster and kwasm-operator (default: next to this binary).")
    var binDir: String?
    @Option(help: "Give up on one run after this many seconds.")
    var timeout = 900
    @Option(help: "API server: fake (kwasm-dev-cluster) or real (kube-apiserver + etcd from KWASM_TEST_ASSETS, simulated nodes and kubelet).")
    var api = "fake"
    @Flag(help: "Only measure the client's watch-event framing and decoding throughput.")
    var watchDecoding = false

    func run() async throws {
        if watchDecoding { return try WatchDecodingBenchmark.run() }
        let directory = binDir ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        guard let api = BenchAPI(rawValue: api) else { throw BenchError("--api must be fake or real") }
        let counts = nodes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        var results: [BenchResult] = []
        for count in counts {
            print("== N = \(count) nodes, \(api) API server, simulated install \(installMilliseconds) ms, max-parallel \(maxParallel == 0 ? "auto" : String(maxParallel))")
            let result = try await BenchRun(
                api: api, nodes: count, installMilliseconds: installMilliseconds, maxParallel: maxParallel, binDir: directory,
                timeout: .seconds(timeout)
            ).run()
            result.print()
            results.append(result)
        }
        print("\nsummary (\(api) API server)")
        print("nodes  converge_s  ideal_s  overhead_ms/node  p50_annot→job_ms  p99_annot→job_ms  p50_done→ready_ms  p99_done→ready_ms  writes/node  peak_rss_MiB  converged_writes")
        for r in results {
            print(String(format: "%5d  %10.2f  %7.2f  %16.2f  %16.1f  %16.1f  %17.1f  %17.1f  %11.2f  %12.1f  %16.0f",
                         r.nodes, r.convergeSeconds, r.idealSeconds, r.overheadPerNodeMs, r.annotationToJob.p50, r.annotationToJob.p99,
                         r.jobDoneToReady.p50, r.jobDoneToReady.p99, r.writesPerNode, r.peakRSSMiB, r.convergedWrites))
        }
    }
}
