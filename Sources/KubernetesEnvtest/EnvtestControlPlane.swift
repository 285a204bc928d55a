import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real control plane for tests, the way controller-runtime's envtest provides one: Debian's etcd and the
/// `kube-apiserver` (plus `kube-controller-manager` running only the garbage collector, so owner references
/// and propagation policies behave as in a cluster) from the directory named by `KWASM_TEST_ASSETS`, on free
/// loopback ports in a temporary directory. One instance per process (`shared()`); it is stopped, and its
/// directory removed, when the process exits — by an `atexit` handler, or by a watchdog if the process dies.
public struct EnvtestControlPlane: Sendable {
    /// `https://127.0.0.1:PORT`.
    public let url: String
    /// A static bearer token of a `system:masters` user.
    public let token: String
    /// The serving certificate (self-signed), to trust as the certificate authority.
    public let certificateAuthorityPEM: String
    /// A kubeconfig for the same user, for tools.
    public let kubeconfigPath: String
    /// The temporary directory holding state, logs and pid files (`etcd.pid`, `kube-apiserver.pid`, …).
    public let directory: String

    /// The pids of the control plane's processes (for CPU accounting).
    public var pids: [Int32] {
        ["etcd", "kube-apiserver", "kube-controller-manager"].compactMap { name in
            (try? String(contentsOfFile: "\(directory)/\(name).pid", encoding: .utf8))
                .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }

    public static let assetsVariable = "KWASM_TEST_ASSETS"

    /// Why no control plane can be started here, or `nil` when it can.
    public static var unavailableReason: String? {
        guard let assets = ProcessInfo.processInfo.environment[assetsVariable], !assets.isEmpty else {
            return "\(assetsVariable) is not set (point it at a directory made by shared/testbin/unpack.sh; .ci/run does)"
        }
        let needed = [Binaries(assets: assets).apiServer, Binaries(assets: assets).controllerManager, Binaries.etcd, "/usr/bin/openssl"]
        let missing = needed.filter { !FileManager.default.isExecutableFile(atPath: $0) }
        guard missing.isEmpty else {
            return "missing \(missing.joined(separator: ", ")) (\(Binaries.etcd) is Debian's etcd-server; scripts/setup.sh installs it)"
        }
        return nil
    }

    /// A control plane of its own (stop it with `stop()`, or it stops at process exit).
    public static func start(crdPaths: [String] = []) async throws -> EnvtestControlPlane {
        try await Launcher.start(crdPaths: crdPaths)
    }

    /// Stops this control plane and removes its directory.
    public func stop() {
        Cleanup.stop(directory: directory)
    }

    /// The process-wide control plane, started on first use with the CRDs in `crdPaths` installed.
    public static func shared(crdPaths: [String] = []) async throws -> EnvtestControlPlane {
        try await SharedControlPlane.instance.get(crdPaths: crdPaths)
    }
}

/// The binaries the control plane is made of.
struct Binaries {
    static let etcd = "/usr/bin/etcd"
    let assets: String
    var apiServer: String { "\(assets)/k8s/kube-apiserver" }
    var controllerManager: String { "\(assets)/k8s/kube-controller-manager" }
    var kubectl: String { "\(assets)/bin/kubectl" }
}

/// Starting the control plane failed; `log` is the tail of the failing component's output.
public struct EnvtestStartError: Error, CustomStringConvertible {
    public let component: String
    public let log: String
    public var description: String { "\(component) did not become ready:\n\(log)" }
}

/// Starts the control plane once, even when many tests ask at the same time.
actor SharedControlPlane {
    static let instance = SharedControlPlane()
    private var starting: Task<EnvtestControlPlane, Error>?

    func get(crdPaths: [String]) async throws -> EnvtestControlPlane {
        if let starting { return try await starting.value }
        let task = Task { try await Launcher.start(crdPaths: crdPaths) }
        starting = task
        return try await task.value
    }
}
