import Foundation

/// A real containerd (Debian's `/usr/bin/containerd`) running under a temporary "host root", with its
/// own root, state, socket and network namespace, for tests and local demos.
///
/// Layout under ``baseDirectory`` (a short `/tmp/kw-XXXXXX` path: unix socket paths are limited to 108 bytes):
/// - `host/` — the fake host root the installer is pointed at (`--host-root`):
///   `etc/containerd/config.toml`, `var/lib/containerd` (containerd `--root`), `run/containerd` (`--state`,
///   socket `run/containerd/containerd.sock`), `etc/machine-id`, `var/log/containerd.log` (containerd's output).
/// - `ctl/` — the sandbox's own control files: `start.sh`, `stop.sh`, `restart.sh` (usable as the installer's
///   `--restart-command`), `containerd.pid`.
///
/// containerd is started detached (`setsid unshare --net`) so an outside script can restart it, exactly like
/// systemd would on a real host. Its network namespace has loopback up plus a veth with a default route
/// (192.0.2.0/24, TEST-NET-1, reaching nothing), as a real node has: CRI's streaming server picks its address
/// from the default route's interface when the config leaves `stream_server_address` empty, and fails without
/// one. Its `PATH` starts with `host/opt/kwasm/bin`, the installer's default install dir, so
/// `runtime_type = "io.containerd.NAME.vN"` finds installed shims.
public final class ContainerdSandbox: @unchecked Sendable {
    /// The `/tmp/kw-XXXXXX` directory holding everything.
    public let baseDirectory: String
    /// The fake host root (`--host-root`).
    public let hostRoot: String
    /// Control scripts, pid file and log.
    public let controlDirectory: String
    /// containerd's config file (`<host>/etc/containerd/config.toml`).
    public let configPath: String
    /// containerd's gRPC socket (`<host>/run/containerd/containerd.sock`).
    public let socketPath: String
    /// containerd's `--root`.
    public let rootDirectory: String
    /// containerd's `--state`.
    public let stateDirectory: String
    /// containerd's stdout/stderr, appended across restarts (host path `/var/log/containerd.log`).
    public let logPath: String
    /// Where the running containerd's pid is recorded.
    public let pidFilePath: String
    /// `sh` script that stops containerd and starts it again; pass it as `--restart-command`.
    public let restartScriptPath: String
    /// The containerd namespace used by ``ctr(_:)``.
    public let namespace: String

    /// The machine-id written to `<host>/etc/machine-id`.
    public let machineID: String

    /// Creates the directory layout and writes `config` (or a default schema-2 config) to the host config path.
    /// Does not start containerd; call ``start()``.
    ///
    /// - Parameter config: the config file's text (`{{HOST_ROOT}}` is replaced by ``hostRoot``); `nil` writes
    ///   ``defaultConfig(hostRoot:)``.
    public init(config: String? = nil, namespace: String = "kwtest") throws {
        var template = Array("/tmp/kw-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw SandboxError("mkdtemp failed: errno \(errno)")
        }
        baseDirectory = String(cString: made)
        hostRoot = baseDirectory + "/host"
        controlDirectory = baseDirectory + "/ctl"
        configPath = hostRoot + "/etc/containerd/config.toml"
        rootDirectory = hostRoot + "/var/lib/containerd"
        stateDirectory = hostRoot + "/run/containerd"
        socketPath = stateDirectory + "/containerd.sock"
        logPath = hostRoot + "/var/log/containerd.log"
        pidFilePath = controlDirectory + "/containerd.pid"
        restartScriptPath = controlDirectory + "/restart.sh"
        self.namespace = namespace
        machineID = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()

        let fm = FileManager.default
        for dir in [controlDirectory, hostRoot + "/etc/containerd", rootDirectory, stateDirectory, hostRoot + "/run/lock", hostRoot + "/var/log"] {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try Data((machineID + "\n").utf8).write(to: URL(fileURLWithPath: hostRoot + "/etc/machine-id"))
        try Data((config?.replacingOccurrences(of: "{{HOST_ROOT}}", with: hostRoot)
            ?? Self.defaultConfig(hostRoot: hostRoot)).utf8).write(to: URL(fileURLWithPath: configPath))
        try writeScripts()
    }

    deinit {}

    /// A schema-2 config like the ones `containerd config default` and kubeadm guides produce (an explicit
    /// `runc` runtime), with containerd's `opt` dir kept inside the host root. See ``debianStockConfig(hostRoot:)``
    /// for Debian's shipped file, which has no runtimes table at all.
    public static func defaultConfig(hostRoot: String) -> String {
        """
        version = 2

        [plugins]
          [plugins."io.containerd.grpc.v1.cri"]
            [plugins."io.containerd.grpc.v1.cri".containerd]
              default_runtime_name = "runc"
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                    SystemdCgroup = false
            [plugins."io.containerd.grpc.v1.cri".cni]
              bin_dir = "/usr/lib/cni"
              conf_dir = "/etc/cni/net.d"
          [plugins."io.containerd.internal.v1.opt"]
            path = "\(hostRoot)/opt/containerd"

        """
    }

    /// Debian bookworm's shipped `/etc/containerd/config.toml` (no runtimes table; CRI uses built-in defaults),
    /// with the `opt` dir moved inside the host root.
    public static func debianStockConfig(hostRoot: String) -> String {
        """
        version = 2

        [plugins]
          [plugins."io.containerd.grpc.v1.cri"]
            [plugins."io.containerd.grpc.v1.cri".cni]
              bin_dir = "/usr/lib/cni"
              conf_dir = "/etc/cni/net.d"
          [plugins."io.containerd.internal.v1.opt"]
            path = "\(hostRoot)/opt/containerd"

        """
    }

    // MARK: lifecycle

    /// Starts containerd (no-op when it already runs) and waits until its socket answers.
    public func start(timeout: TimeInterval = 30) throws {
        try runScript("start.sh")
        try waitUntilReady(timeout: timeout)
    }

    /// Starts containerd without waiting (for tests that expect it to fail).
    public func launch() throws {
        try runScript("start.sh")
    }

    /// Stops containerd (SIGTERM, then SIGKILL after 10 s) and waits until it is gone.
    public func stop() throws {
        try runScript("stop.sh")
    }

    /// Stops and starts containerd, then waits until it answers.
    public func restart(timeout: TimeInterval = 30) throws {
        try runScript("restart.sh")
        try waitUntilReady(timeout: timeout)
    }

    /// Stops containerd and removes every file of the sandbox.
    public func destroy() {
        try? stop()
        // Unmount anything containerd left mounted under the sandbox, deepest first.
        if let mounts = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) {
            let points = mounts.split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(separator: " ")
                return fields.count > 4 ? String(fields[4]) : nil
            }.filter { $0.hasPrefix(baseDirectory + "/") }.sorted { $0.count > $1.count }
            for point in points { _ = try? CommandRunner.run("/bin/umount", ["-l", point]) }
        }
        try? FileManager.default.removeItem(atPath: baseDirectory)
    }

    /// The running containerd's pid, or `nil` when it is not running (a zombie counts as not running).
    public var pid: Int32? {
        guard let text = try? String(contentsOfFile: pidFilePath, encoding: .utf8),
              let value = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return nil }
        return Self.isAlive(value) ? value : nil
    }

    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// Waits until containerd's API answers (`ctr version`), failing early with its log when it exits.
    public func waitUntilReady(timeout: TimeInterval = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if FileManager.default.fileExists(atPath: socketPath),
               let result = try? CommandRunner.run("/usr/bin/ctr", ["--address", socketPath, "--timeout", "2s", "version"]),
               result.succeeded {
                return
            }
            if pid == nil {
                throw SandboxError("containerd is not running; last log lines:\n" + recentLogLines().joined(separator: "\n"))
            }
            if Date() > deadline {
                throw SandboxError("containerd did not answer within \(timeout) s; last log lines:\n"
                    + recentLogLines().joined(separator: "\n"))
            }
            usleep(100_000)
        }
    }

    /// The last `count` lines containerd logged.
    public func recentLogLines(_ count: Int = 30) -> [String] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return Array(text.split(separator: "\n", omittingEmptySubsequences: true).suffix(count).map(String.init))
    }

    /// How many times containerd was started in this sandbox (each start logs a marker line).
    public var startCount: Int {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.components(separatedBy: Self.startMarker).count - 1
    }

    /// Logged by the start script before each start of containerd.
    static let startMarker = "=== kwasm sandbox: starting containerd"

    // MARK: inspection

    /// `containerd -c CONFIG config dump`: the config containerd would run with (defaults merged in).
    public func configDump() throws -> String {
        let result = try CommandRunner.run("/usr/bin/containerd", ["-c", configPath, "config", "dump"])
        guard result.succeeded else { throw SandboxError("containerd config dump failed: \(result)") }
        return result.stdout
    }

    /// `ctr plugins ls` against the running containerd.
    public func pluginsList() throws -> String {
        let result = try ctr("plugins", "ls")
        guard result.succeeded else { throw SandboxError("ctr plugins ls failed: \(result)") }
        return result.stdout
    }

    /// `nil` when `ctr plugins ls` shows the CRI plugin `ok`; otherwise why containerd did not load it (the
    /// `error=` part of its "failed to load plugin io.containerd.grpc.v1.cri" log line since the last start,
    /// or the plugin's status line).
    public func criFailure() throws -> String? {
        let criLine = try pluginsList().split(separator: "\n").first {
            $0.contains("io.containerd.grpc.v1") && $0.split(separator: " ").contains("cri")
        }
        if criLine?.split(separator: " ").last == "ok" { return nil }
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let sinceLastStart = log.components(separatedBy: Self.startMarker).last ?? ""
        let reason = sinceLastStart.split(separator: "\n").last { $0.contains("failed to load plugin io.containerd.grpc.v1.cri") }
        guard let reason, let range = reason.range(of: "error=") else { return "CRI not ok: \(criLine.map(String.init) ?? "missing")" }
        return String(reason[range.upperBound...])
    }

    /// Runs `ctr --address SOCKET -n NAMESPACE args…`.
    @discardableResult
    public func ctr(_ arguments: String...) throws -> CommandResult {
        try ctr(arguments: arguments)
    }

    /// Runs `ctr --address SOCKET -n NAMESPACE arguments…`.
    @discardableResult
    public func ctr(arguments: [String]) throws -> CommandResult {
        try CommandRunner.run("/usr/bin/ctr", ["--address", socketPath, "-n", namespace] + arguments)
    }

    /// Builds the busybox test image (once per sandbox) and imports it; returns its reference.
    @discardableResult
    public func importTestImage() throws -> String {
        let tarball = controlDirectory + "/busybox-oci.tar"
        let reference = try OCIImageBuilder.writeBusyboxImage(to: tarball)
        let result = try ctr("image", "import", tarball)
        guard result.succeeded else { throw SandboxError("ctr image import failed: \(result)") }
        return reference
    }

    /// `ctr run --rm --runtime RUNTIME IMAGE ID command…`, retrying once with the native snapshotter when
    /// overlayfs is unavailable. Returns the command's result (the container's stdout in `stdout`).
    public func runContainer(
        runtime: String,
        image: String = OCIImageBuilder.defaultReference,
        id: String = "kw-\(UUID().uuidString.prefix(8).lowercased())",
        command: [String] = ["echo", "hi"]
    ) throws -> CommandResult {
        let first = try ctr(arguments: ["run", "--rm", "--runtime", runtime, image, id] + command)
        if first.succeeded || !(first.stderr.contains("overlay") || first.stderr.contains("snapshotter")) {
            return first
        }
        return try ctr(arguments: ["run", "--rm", "--snapshotter", "native", "--runtime", runtime, image, id + "n"] + command)
    }

    // MARK: scripts

    private func runScript(_ name: String) throws {
        let result = try CommandRunner.run("/bin/sh", [controlDirectory + "/" + name])
        guard result.succeeded else { throw SandboxError("\(name) failed: \(result)") }
    }

    private func writeScripts() throws {
        let common = """
        #!/bin/sh
        PIDFILE='\(pidFilePath)'
        alive() {
          [ -f "$PIDFILE" ] || return 1
          p=$(cat "$PIDFILE")
          [ -r /proc/$p/stat ] || return 1
          s=$(sed 's/.*) //' /proc/$p/stat | cut -c1)
          [ "$s" != Z ] && [ "$s" != X ]
        }

        """
        let start = common + """
        alive && exit 0
        mkdir -p '\(rootDirectory)' '\(stateDirectory)'
        export PATH='\(hostRoot)/opt/kwasm/bin':/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        echo "\(Self.startMarker) $(date -u +%FT%T.%NZ)" >> '\(logPath)'
        setsid unshare --net sh -c '
          ip link set lo up 2>/dev/null || busybox ip link set lo up
          ip link add kw0 type veth peer name kw1 && ip addr add 192.0.2.1/24 dev kw0 && ip link set kw0 up \\
            && ip link set kw1 up && ip route add default via 192.0.2.254 dev kw0
          exec /usr/bin/containerd -c "$0" --root "$1" --state "$2" --address "$3"' \\
          '\(configPath)' '\(rootDirectory)' '\(stateDirectory)' '\(socketPath)' >> '\(logPath)' 2>&1 < /dev/null &
        echo $! > "$PIDFILE"
        # Like `systemctl restart` of a Type=notify unit: return once the socket exists (or containerd died).
        i=0
        while [ $i -lt 100 ]; do
          [ -S '\(socketPath)' ] && exit 0
          alive || exit 0
          sleep 0.1; i=$((i+1))
        done
        exit 0

        """
        let stop = common + """
        alive || exit 0
        p=$(cat "$PIDFILE")
        kill -TERM $p 2>/dev/null
        i=0
        while alive && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
        alive && kill -KILL $p 2>/dev/null
        while alive; do sleep 0.05; done
        rm -f '\(socketPath)'
        exit 0

        """
        let restart = """
        #!/bin/sh
        sh '\(controlDirectory)/stop.sh' && exec sh '\(controlDirectory)/start.sh'

        """
        for (name, text) in [("start.sh", start), ("stop.sh", stop), ("restart.sh", restart)] {
            let path = controlDirectory + "/" + name
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o755)
        }
    }
}
