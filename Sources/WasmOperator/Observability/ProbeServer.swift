import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The probe and metrics endpoints: `/healthz` (the process runs), `/readyz` (caches synced),
/// `/metrics` (Prometheus text). One Hummingbird server per bind address; when both flags
/// name the same address, one server serves all three paths.
public struct ProbeServer: Sendable {
    public enum Endpoints: Sendable { case probes, metrics, both }

    /// Ports actually bound (useful with port 0), reported as each server starts.
    public final class BoundPorts: Sendable {
        private let ports = Mutex<[String: Int]>([:])
        public init() {}
        func set(_ name: String, _ port: Int) { ports.withLock { $0[name] = port } }
        public var probes: Int? { ports.withLock { $0["probes"] } }
        public var metrics: Int? { ports.withLock { $0["metrics"] } }
    }

    public static func make(
        address: BindAddress, endpoints: Endpoints, metrics: OperatorMetrics,
        isReady: @escaping @Sendable () -> Bool, boundPorts: BoundPorts, logger: Logger
    ) -> some Service {
        let router = Router()
        if endpoints != .metrics {
            router.get("/healthz") { _, _ -> String in "ok\n" }
            router.get("/readyz") { _, _ -> Response in
                isReady()
                    ? Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
                    : Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "caches not synced\n")))
            }
        }
        if endpoints != .probes {
            router.get("/metrics") { _, _ -> Response in
                Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
            }
        }
        var serverLogger = logger
        serverLogger.logLevel = max(logger.logLevel, .notice)
        return Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: "kwasm-operator"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                switch endpoints {
                case .probes: boundPorts.set("probes", port)
                case .metrics: boundPorts.set("metrics", port)
                case .both: boundPorts.set("probes", port); boundPorts.set("metrics", port)
                }
                logger.info("serving", metadata: ["address": "\(address.host):\(port)", "endpoints": "\(endpoints)"])
            },
            logger: serverLogger)
    }
}
