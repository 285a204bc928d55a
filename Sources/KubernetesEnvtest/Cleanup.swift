import Foundation
import HostProcess
#if canImport(Glibc)
import Glibc
#endif

/// Stops the control plane at process exit: SIGTERM, then SIGKILL for whatever still runs after 10 s,
/// then removes the directory. The same steps run from the watchdog when the process died instead.
enum Cleanup {
    nonisolated(unsafe) private static var directories: [String] = []
    nonisolated(unsafe) private static var registered = false
    private static let lock = NSLock()

    static func register(directory dir: String) {
        let first = lock.withLock { () -> Bool in
            directories.append(dir)
            defer { registered = true }
            return !registered
        }
        if first { atexit { Cleanup.runAll() } }
    }

    /// Stops one control plane now.
    static func stop(directory dir: String) {
        lock.withLock { directories.removeAll { $0 == dir } }
        run(dir)
    }

    static func shellStop(dir: String) -> String {
        """
        pids=$(cat '\(dir)'/kube-controller-manager.pid '\(dir)'/kube-apiserver.pid '\(dir)'/etcd.pid 2>/dev/null)
        [ -n "$pids" ] && kill -TERM $pids 2>/dev/null
        for i in $(seq 1 40); do alive=; for p in $pids; do st=$(cut -d" " -f3 /proc/$p/stat 2>/dev/null); [ -n "$st" ] && [ "$st" != Z ] && alive=1; done; [ -z "$alive" ] && break; sleep 0.25; done
        [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
        rm -rf '\(dir)'
        """
    }

    private static func runAll() {
        for dir in lock.withLock({ directories }) { run(dir) }
    }

    private static func run(_ dir: String) {
        let watchdog = (try? String(contentsOfFile: "\(dir)/watchdog.pid", encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        if let watchdog { kill(watchdog, SIGKILL) }
        _ = try? Spawn.run(["/bin/sh", "-c", shellStop(dir: dir)], environment: nil, stdin: "/dev/null",
                           stdout: "/dev/null", stderr: "/dev/null", timeout: 30)
    }
}
