import ContainerdSandbox
import Foundation

/// Repeated runs of one image under one handler, timed by containerd's own CRI timestamps
/// (createdAt, startedAt, finishedAt): start→exit is the runtime's start plus the module's run.
struct WasmTiming {
    var startToExitSeconds: [Double]
    var createToExitSeconds: [Double]

    var medianStartToExit: Double { Self.median(startToExitSeconds) }
    var medianCreateToExit: Double { Self.median(createToExitSeconds) }
    var startToExit: String { Self.format(startToExitSeconds) }
    var createToExit: String { Self.format(createToExitSeconds) }

    /// `runs` runs of each handler, alternating (a, b, a, b...), so that load from elsewhere on the
    /// machine falls on both alike; one timing per handler, in the order given.
    static func measure(node: KwasmNode, handlers: [String], image: String, args: [String] = [], runs: Int) throws -> [WasmTiming] {
        var timings = handlers.map { _ in WasmTiming(startToExitSeconds: [], createToExitSeconds: []) }
        for _ in 0..<runs {
            for (index, handler) in handlers.enumerated() {
                let (startToExit, createToExit) = try measureOnce(node: node, handler: handler, image: image, args: args)
                timings[index].startToExitSeconds.append(startToExit)
                timings[index].createToExitSeconds.append(createToExit)
            }
        }
        return timings
    }

    static func measureOnce(node: KwasmNode, handler: String, image: String, args: [String]) throws -> (Double, Double) {
        let cri = node.cri
        let started = try cri.start(handler: handler, image: image, args: args, podAnnotations: ["module.wasm.image/variant": "compat"])
        defer { cri.remove(pod: started.pod) }
        let finished = try cri.waitForExit(started.container)
        guard finished.exitCode == 0 else { throw SandboxError("\(handler) \(image): \(finished)") }
        let json = try cri.checked(["inspect", "-o", "json", started.container])
        let status = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["status"] as? [String: Any] ?? [:]
        guard let created = nanoseconds(status["createdAt"]), let start = nanoseconds(status["startedAt"]),
              let finish = nanoseconds(status["finishedAt"]) else { throw SandboxError("no CRI timestamps: \(json)") }
        return (Double(finish - start) / 1e9, Double(finish - created) / 1e9)
    }

    /// crictl prints CRI timestamps as RFC 3339 with nanoseconds, or as integer nanoseconds.
    static func nanoseconds(_ value: Any?) -> Int64? {
        if let number = value as? Int64 { return number }
        if let number = value as? Int { return Int64(number) }
        if let text = value as? String, let number = Int64(text) { return number }
        guard let text = value as? String, text.count > 20 else { return nil }
        let seconds = String(text.prefix(19)) + "Z"
        guard let date = ISO8601DateFormatter().date(from: seconds) else { return nil }
        var fraction = text.dropFirst(19)
        var nanos: Int64 = 0
        if fraction.first == "." {
            fraction = fraction.dropFirst()
            let digits = fraction.prefix { $0.isNumber }
            nanos = Int64(digits.padding(toLength: 9, withPad: "0", startingAt: 0).prefix(9)) ?? 0
        }
        return Int64(date.timeIntervalSince1970) * 1_000_000_000 + nanos
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func format(_ values: [Double]) -> String {
        func ms(_ v: Double) -> String { String(format: "%.0f ms", v * 1000) }
        return "\(ms(median(values))) (\(ms(values.min() ?? 0))–\(ms(values.max() ?? 0)))"
    }
}
