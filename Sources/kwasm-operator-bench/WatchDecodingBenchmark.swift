import Foundation
import KubernetesClient

/// Throughput of the client's watch path: framing JSON lines and decoding Node events,
/// as the operator's Node watch does at fleet scale. Prints numbers; run it in release:
/// `swift run -c release kwasm-operator-bench --watch-decoding`.
enum WatchDecodingBenchmark {
    struct CountMismatch: Error { var expected: Int; var got: Int }

    static func run() throws {
        let node = #"{"type":"MODIFIED","object":{"kind":"Node","apiVersion":"v1","metadata":{"name":"node-NNNNN","uid":"0f6e6b3c-1111-2222-3333-444455556666","resourceVersion":"RV","labels":{"kubernetes.io/arch":"amd64","kubernetes.io/hostname":"node-NNNNN","kwasm.sh/kwasm-provisioned":"true"},"annotations":{"kwasm.sh/kwasm-node":"true","node.alpha.kubernetes.io/ttl":"0"}},"spec":{"podCIDR":"10.244.1.0/24","providerID":"kind://docker/kind/node"},"status":{"nodeInfo":{"machineID":"m","bootID":"b","kernelVersion":"6.1.0","osImage":"Debian GNU/Linux 12 (bookworm)","containerRuntimeVersion":"containerd://1.7.18","kubeletVersion":"v1.31.0","operatingSystem":"linux","architecture":"amd64"},"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"kubelet is posting ready status","lastHeartbeatTime":"2026-01-01T00:00:00Z","lastTransitionTime":"2026-01-01T00:00:00Z"}],"runtimeHandlers":[{"name":"","features":{"recursiveReadOnlyMounts":true}},{"name":"spin","features":{}}]}}}"#
        let count = 20_000
        var stream: [UInt8] = []
        for index in 0..<count {
            stream += Array(node.replacingOccurrences(of: "NNNNN", with: String(index)).replacingOccurrences(of: "RV", with: String(index)).utf8)
            stream.append(10)
        }
        let chunk = 16 * 1024
        let clock = ContinuousClock()
        var decoded = 0
        let elapsed = try clock.measure {
            var framer = JSONLineFramer(maxFrameBytes: 1 << 20)
            var offset = 0
            while offset < stream.count {
                let end = min(stream.count, offset + chunk)
                for frame in try framer.append(stream[offset..<end]) {
                    if case .modified = try WatchEventDecoder.decode(Node.self, frame: frame) { decoded += 1 }
                }
                offset = end
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "WatchDecodingBenchmark: \(decoded) Node events, \(stream.count / 1024) KiB in \(String(format: "%.3f", seconds)) s = "
                + "\(Int(Double(decoded) / seconds)) events/s, \(String(format: "%.1f", Double(stream.count) / seconds / 1_048_576)) MiB/s")
        guard decoded == count else { throw CountMismatch(expected: count, got: decoded) }

        var framerOnly = JSONLineFramer(maxFrameBytes: 1 << 20)
        var frames = 0
        let framing = try clock.measure {
            var offset = 0
            while offset < stream.count {
                let end = min(stream.count, offset + chunk)
                frames += try framerOnly.append(stream[offset..<end]).count
                offset = end
            }
        }
        let framingSeconds = Double(framing.components.seconds) + Double(framing.components.attoseconds) / 1e18
        print("WatchDecodingBenchmark: framing alone \(String(format: "%.1f", Double(stream.count) / framingSeconds / 1_048_576)) MiB/s")
        guard frames == count else { throw CountMismatch(expected: count, got: frames) }
    }
}
