import Foundation
import HostProcess
#if canImport(Glibc)
import Glibc
#endif

/// Starts etcd, kube-apiserver and the garbage collector in a temporary directory and arranges their end.
///
/// The daemons are started detached (`sh -c '… &'`) with their pids in `DIR/*.pid`: the test process
/// never waits on them, and a watchdog stops them when the test process is gone however it ended.
enum Launcher {
    static func start(crdPaths: [String]) async throws -> EnvtestControlPlane {
        guard let assets = ProcessInfo.processInfo.environment[EnvtestControlPlane.assetsVariable] else {
            throw EnvtestStartError(component: "assets", log: EnvtestControlPlane.unavailableReason ?? "")
        }
        let binaries = Binaries(assets: assets)
        let dir = try makeDirectory()
        Cleanup.register(directory: dir)
        let token = UUID().uuidString
        let (etcdPort, peerPort, apiPort) = (try freePort(), try freePort(), try freePort())
        try writeCredentials(dir: dir, token: token, apiPort: apiPort)
        try startWatchdog(dir: dir)

        try daemon("etcd", dir: dir, [
            Binaries.etcd, "--name", "envtest", "--data-dir", "\(dir)/etcd", "--unsafe-no-fsync",
            "--listen-client-urls", "http://127.0.0.1:\(etcdPort)", "--advertise-client-urls", "http://127.0.0.1:\(etcdPort)",
            "--listen-peer-urls", "http://127.0.0.1:\(peerPort)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPort)",
            "--initial-cluster", "envtest=http://127.0.0.1:\(peerPort)",
        ])
        try daemon("kube-apiserver", dir: dir, [
            binaries.apiServer, "--etcd-servers=http://127.0.0.1:\(etcdPort)",
            "--bind-address=127.0.0.1", "--secure-port=\(apiPort)", "--advertise-address=127.0.0.1",
            "--cert-dir=\(dir)/certs", "--tls-cert-file=\(dir)/server.crt", "--tls-private-key-file=\(dir)/server.key",
            "--token-auth-file=\(dir)/tokens.csv", "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc", "--service-account-key-file=\(dir)/server.key",
            "--service-account-signing-key-file=\(dir)/server.key",
            "--service-cluster-ip-range=10.0.0.0/24", "--endpoint-reconciler-type=none", "--allow-privileged=true",
            // No controller-manager creates `default` service accounts here (envtest disables it too).
            "--disable-admission-plugins=ServiceAccount", "--profiling=false",
        ])
        let kubeconfig = "\(dir)/kubeconfig"
        try await waitUntil("kube-apiserver", dir: dir, timeout: 120) {
            try kubectl(binaries, kubeconfig, ["get", "--raw", "/readyz"], dir: dir) == 0
        }
        try daemon("kube-controller-manager", dir: dir, [
            binaries.controllerManager, "--kubeconfig=\(kubeconfig)", "--authentication-kubeconfig=\(kubeconfig)",
            "--authorization-kubeconfig=\(kubeconfig)", "--controllers=garbage-collector-controller,namespace-controller",
            "--leader-elect=false", "--secure-port=0", "--profiling=false",
        ])
        for path in crdPaths {
            guard try kubectl(binaries, kubeconfig, ["apply", "-f", path], dir: dir) == 0 else {
                throw EnvtestStartError(component: "CRD \(path)", log: tail("\(dir)/kubectl.log"))
            }
        }
        if !crdPaths.isEmpty {
            try await waitUntil("CRDs established", dir: dir, timeout: 60) {
                try kubectl(binaries, kubeconfig, ["wait", "--for=condition=established", "crd", "--all", "--timeout=10s"], dir: dir) == 0
            }
        }
        let certificate = try String(contentsOfFile: "\(dir)/server.crt", encoding: .utf8)
        return EnvtestControlPlane(
            url: "https://127.0.0.1:\(apiPort)", token: token, certificateAuthorityPEM: certificate, kubeconfigPath: kubeconfig,
            directory: dir)
    }

    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/kwasm-envtest.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw EnvtestStartError(component: "mkdtemp", log: String(cString: strerror(errno))) }
        return String(cString: made)
    }

    /// A self-signed serving certificate whose key also signs service-account tokens, a static token for a
    /// `system:masters` user, and a kubeconfig for the same user.
    private static func writeCredentials(dir: String, token: String, apiPort: Int) throws {
        let status = try Spawn.run(
            ["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7", "-subj", "/CN=kwasm-envtest",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", "\(dir)/server.key", "-out", "\(dir)/server.crt"],
            environment: nil, stdin: "/dev/null", stdout: "\(dir)/openssl.log", stderr: "\(dir)/openssl.log", timeout: 60)
        guard status == 0 else { throw EnvtestStartError(component: "openssl", log: tail("\(dir)/openssl.log")) }
        try "\(token),kwasm-envtest-admin,kwasm-envtest-admin,system:masters\n"
            .write(toFile: "\(dir)/tokens.csv", atomically: true, encoding: .utf8)
        let kubeconfig = """
            apiVersion: v1
            kind: Config
            clusters: [{name: envtest, cluster: {server: "https://127.0.0.1:\(apiPort)", certificate-authority: "\(dir)/server.crt"}}]
            users: [{name: admin, user: {token: "\(token)"}}]
            contexts: [{name: envtest, context: {cluster: envtest, user: admin}}]
            current-context: envtest

            """
        try kubeconfig.write(toFile: "\(dir)/kubeconfig", atomically: true, encoding: .utf8)
    }

    /// Starts `argv` detached, output in `DIR/NAME.log`, pid in `DIR/NAME.pid`.
    private static func daemon(_ name: String, dir: String, _ argv: [String]) throws {
        let quoted = argv.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let script = "\(quoted) >'\(dir)/\(name).log' 2>&1 </dev/null & echo $! >'\(dir)/\(name).pid'"
        let status = try Spawn.run(["/bin/sh", "-c", script], environment: nil, stdin: "/dev/null",
                                   stdout: "/dev/null", stderr: "\(dir)/\(name).spawn.log", timeout: 30)
        guard status == 0 else { throw EnvtestStartError(component: name, log: tail("\(dir)/\(name).spawn.log")) }
    }

    /// Stops the daemons and removes `dir` once this process has gone (the `atexit` handler does it sooner).
    private static func startWatchdog(dir: String) throws {
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            \(Cleanup.shellStop(dir: dir))
            """
        try script.write(toFile: "\(dir)/watchdog.sh", atomically: true, encoding: .utf8)
        try daemon("watchdog", dir: dir, ["/bin/sh", "\(dir)/watchdog.sh"])
    }

    private static func kubectl(_ binaries: Binaries, _ kubeconfig: String, _ arguments: [String], dir: String) throws -> Int32 {
        try Spawn.run([binaries.kubectl, "--kubeconfig=\(kubeconfig)", "--request-timeout=10s"] + arguments, environment: nil,
                      stdin: "/dev/null", stdout: "\(dir)/kubectl.log", stderr: "\(dir)/kubectl.log", timeout: 60)
    }

    private static func waitUntil(_ what: String, dir: String, timeout: Double, _ ready: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try ready() { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw EnvtestStartError(
            component: what,
            log: ["etcd", "kube-apiserver", "kubectl"].map { "--- \($0):\n" + tail("\(dir)/\($0).log") }.joined(separator: "\n"))
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw EnvtestStartError(component: "free port", log: String(cString: strerror(errno))) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func tail(_ path: String, lines: Int = 30) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "(no \(path))"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}
