import Foundation

/// A real containerd (Debian's 1.6 or a 2.x release from ``TestAssets``, see ``SandboxContainerd``) running under
/// a temporary "host root", with its own root, state, socket, network and mount namespaces, for tests and demos.
///
/// Layout under ``baseDirectory`` (a short `/tmp/kw-XXXXXX` path: unix socket paths are limited to 108 bytes):
/// - `host/` — the fake host root the installer is pointed at (`--host-root`):
///   `etc/containerd/config.toml`, `var/lib/containerd` (containerd `--root`), `run/containerd` (`--state`,
///   socket `run/containerd/containerd.sock`), `etc/machine-id`, `var/log/containerd.log` (containerd's output),
///   `opt/`, `usr/local/bin`, `usr/local/sbin`.
/// - `ctl/` — the sandbox's own control files: `start.sh`, `stop.sh`, `restart.sh` (usable as the installer's
///   `--restart-command`), `containerd.pid`.
///
/// containerd is started detached (`setsid unshare --net --mount`) so an outside script can restart it, exactly
/// like systemd would on a real host. In its mount namespace the host root's `opt`, `usr/local/bin`,
/// `usr/local/sbin` and `etc/containerd` are bind-mounted over `/opt`, `/usr/local/bin`, `/usr/local/sbin` and
/// (when the machine has it, as Debian's containerd package makes it) `/etc/containerd`, so host paths the
/// installer writes (`/opt/kwasm/bin/…` in `runtime_path` or `BinaryName`, shim links in `/usr/local/bin`,
/// absolute `imports`) are what this containerd sees at the same paths. Its `PATH` is a systemd unit's (``SandboxContainerd/path``),
/// never the install dir: a shim is found only the way a real node's containerd would find it.
/// Its network namespace has loopback up plus a veth with a default route (192.0.2.0/24, TEST-NET-1, reaching
/// nothing), as a real node has: CRI's streaming server picks its address from the default route's interface
/// when the config leaves `stream_server_address` empty, and fails without one.
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
    /// The containerd binary this sandbox runs.
    public let containerd: SandboxContainerd
    /// The pod sandbox (pause) image the default configs name; ``importPauseImage()`` imports it.
    public let sandboxImage: String

    /// Creates the directory layout and writes `config` (or the containerd's default config) to the host config
    /// path. Does not start containerd; call ``start()``.
    ///
    /// - Parameter config: the config file's text (`{{HOST_ROOT}}` is replaced by ``hostRoot``,
    ///   `{{SANDBOX_IMAGE}}` by ``sandboxImage``); `nil` writes ``defaultConfig(hostRoot:sandboxImage:)`` for 1.6
    ///   or ``defaultConfigV3(hostRoot:sandboxImage:importsDropIns:)`` for 2.x.
    public init(config: String? = nil, namespace: String = "kwtest", containerd: SandboxContainerd = .debian) throws {
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
        self.containerd = containerd
        sandboxImage = TestAssets.quietlyFromEnvironment == nil ? OCIImageBuilder.pauseReference : TestAssets.pauseReference
        machineID = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()

        let fm = FileManager.default
        for dir in [controlDirectory, hostRoot + "/etc/containerd", rootDirectory, stateDirectory, hostRoot + "/run/lock", hostRoot + "/var/log",
                    hostRoot + "/opt", hostRoot + "/usr/local/bin", hostRoot + "/usr/local/sbin"] {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        // A mount point for the machine's Swift runtime: this repository's debug builds (kwasm-oci as a BinaryName,
        // the kwasm-wasi libraries it mounts into wasm containers) load it from /opt/swift, which the /opt of the
        // host root would otherwise hide from containerd and runc. The installer image's binaries are static.
        if fm.fileExists(atPath: Self.swiftRuntimeDirectory) {
            try fm.createDirectory(atPath: hostRoot + Self.swiftRuntimeDirectory, withIntermediateDirectories: true)
        }
        try Data((machineID + "\n").utf8).write(to: URL(fileURLWithPath: hostRoot + "/etc/machine-id"))
        let text = config ?? (containerd.usesSchema3
            ? Self.defaultConfigV3(hostRoot: hostRoot, sandboxImage: sandboxImage, importsDropIns: containerd.importsDropIns)
            : Self.defaultConfig(hostRoot: hostRoot, sandboxImage: sandboxImage))
        try Data(text.replacingOccurrences(of: "{{HOST_ROOT}}", with: hostRoot)
            .replacingOccurrences(of: "{{SANDBOX_IMAGE}}", with: sandboxImage).utf8).write(to: URL(fileURLWithPath: configPath))
        try writeScripts()
    }

    deinit {}

    /// A schema-2 config like the ones `containerd config default` and kubeadm guides produce (an explicit
    /// `runc` runtime), with containerd's `opt` dir kept inside the host root, the sandbox image set and
    /// `restrict_oom_score_adj` (root here may lack CAP_SYS_RESOURCE). `runc` has no `options` table: the
    /// installer copies runc's options into its runtimes, and CRI hands a non-runc `runtime_type` its options as
    /// `runtimeoptions.v1.Options`, which the tests' stand-in shim (a renamed runc shim) cannot decode. See ``debianStockConfig(hostRoot:)``
    /// for Debian's shipped file, which has no runtimes table at all.
    public static func defaultConfig(hostRoot: String, sandboxImage: String = "{{SANDBOX_IMAGE}}") -> String {
        """
        version = 2

        [plugins]
          [plugins."io.containerd.grpc.v1.cri"]
            sandbox_image = "\(sandboxImage)"
            restrict_oom_score_adj = true
            [plugins."io.containerd.grpc.v1.cri".containerd]
              default_runtime_name = "runc"
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"
            [plugins."io.containerd.grpc.v1.cri".cni]
              bin_dir = "/usr/lib/cni"
              conf_dir = "/etc/cni/net.d"
          [plugins."io.containerd.internal.v1.opt"]
            path = "\(hostRoot)/opt/containerd"

        """
    }

    /// What containerd 2.x's `config default` writes (schema 3, explicit `runc`), reduced, with the sandbox
    /// image pinned, NRI off (its socket is machine-wide) and, for 2.2, `conf.d` drop-ins imported (relative to
    /// the config file, so containerd and the installer resolve them to the same directory).
    public static func defaultConfigV3(hostRoot: String, sandboxImage: String = "{{SANDBOX_IMAGE}}", importsDropIns: Bool) -> String {
        (importsDropIns ? "version = 3\nimports = ['conf.d/*.toml']\n" : "version = 3\n") + """

        [plugins]
          [plugins.'io.containerd.cri.v1.images']
            [plugins.'io.containerd.cri.v1.images'.pinned_images]
              sandbox = '\(sandboxImage)'
          [plugins.'io.containerd.cri.v1.runtime']
            restrict_oom_score_adj = true
            [plugins.'io.containerd.cri.v1.runtime'.containerd]
              default_runtime_name = 'runc'
              [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes]
                [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
                  runtime_type = 'io.containerd.runc.v2'
          [plugins.'io.containerd.internal.v1.opt']
            path = '\(hostRoot)/opt/containerd'
          [plugins.'io.containerd.nri.v1.nri']
            disable = true

        """
    }

    /// Debian bookworm's shipped `/etc/containerd/config.toml` (no runtimes table; CRI uses built-in defaults),
    /// with the `opt` dir moved inside the host root.
    public static func debianStockConfig(hostRoot: String, sandboxImage: String = "{{SANDBOX_IMAGE}}") -> String {
        """
        version = 2

        [plugins]
          [plugins."io.containerd.grpc.v1.cri"]
            sandbox_image = "\(sandboxImage)"
            restrict_oom_score_adj = true
            [plugins."io.containerd.grpc.v1.cri".cni]
              bin_dir = "/usr/lib/cni"
              conf_dir = "/etc/cni/net.d"
          [plugins."io.containerd.internal.v1.opt"]
            path = "\(hostRoot)/opt/containerd"

        """
    }

    /// Where the machine's Swift toolchain (and so the runtime of debug builds) lives.
    static let swiftRuntimeDirectory = "/opt/swift"

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
        killLeftoverShims()
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

    /// Shims outlive containerd (that is how containers survive its restarts); a test that failed before removing
    /// its pod leaves one behind. Each names this sandbox's socket on its command line, so only ours are killed.
    private func killLeftoverShims() {
        let me = getpid()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != me,
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            // Shims (`-address SOCKET`) and any containerd of this sandbox the pid file lost track of (`--address SOCKET`).
            if arguments.first?.contains("containerd") == true, arguments.contains(socketPath) { kill(pid, SIGKILL) }
        }
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
               let result = try? CommandRunner.run(containerd.ctr, ["--address", socketPath, "--timeout", "2s", "version"]),
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
        let result = try CommandRunner.run(containerd.binary, ["-c", configPath, "config", "dump"])
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
        try CommandRunner.run(containerd.ctr, ["--address", socketPath, "-n", namespace] + arguments)
    }

    /// Builds the busybox test image (once per sandbox) and imports it into `namespace` (default: the sandbox's;
    /// pass ``criNamespace`` for CRI pods); returns its reference.
    @discardableResult
    public func importTestImage(namespace: String? = nil) throws -> String {
        let tarball = controlDirectory + "/busybox-oci.tar"
        let reference = try OCIImageBuilder.writeBusyboxImage(to: tarball)
        try importImage(tarball, namespace: namespace ?? self.namespace)
        return reference
    }

    /// The containerd namespace the CRI plugin (and so the kubelet) uses.
    public static let criNamespace = "k8s.io"

    /// Imports the pod sandbox image ``sandboxImage`` into ``criNamespace``: the assets' `pause.tar`, or, without
    /// the assets, a pause stand-in built from busybox-static (so RunPodSandbox needs no registry either way).
    public func importPauseImage() throws {
        if let assets = TestAssets.quietlyFromEnvironment {
            try importImage(assets.pauseImage, namespace: Self.criNamespace)
        } else {
            let tarball = controlDirectory + "/pause-oci.tar"
            try OCIImageBuilder.writeBusyboxImage(to: tarball, reference: OCIImageBuilder.pauseReference,
                                                  entrypoint: ["/bin/sleep", "2147483647"])
            try importImage(tarball, namespace: Self.criNamespace)
        }
    }

    /// `ctr -n NAMESPACE image import TARBALL` (an OCI archive).
    public func importImage(_ tarball: String, namespace: String) throws {
        let result = try CommandRunner.run(containerd.ctr, ["--address", socketPath, "-n", namespace, "image", "import", tarball])
        guard result.succeeded else { throw SandboxError("ctr image import \(tarball) failed: \(result)") }
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
        export PATH='\(containerd.path)'
        echo "\(Self.startMarker) $(date -u +%FT%T.%NZ)" >> '\(logPath)'
        setsid unshare --net --mount --propagation private sh -c '
          [ -d "$4\(Self.swiftRuntimeDirectory)" ] && { mount --bind \(Self.swiftRuntimeDirectory) "$4\(Self.swiftRuntimeDirectory)" || exit 1; }
          mount --rbind "$4/opt" /opt || exit 1
          for d in /usr/local/bin /usr/local/sbin; do mount --bind "$4$d" "$d" || exit 1; done
          # Absolute imports the installer writes (/etc/containerd/conf.d/…) must name files under the host root.
          [ -d /etc/containerd ] && { mount --bind "$4/etc/containerd" /etc/containerd || exit 1; }
          # Hybrid cgroup hosts: crun refuses to run when the cgroup2 side holds controllers (as realcluster does).
          if [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
            : > "$4/../ctl/empty"; mount --bind "$4/../ctl/empty" /sys/fs/cgroup/unified/cgroup.controllers
          fi
          ip link set lo up 2>/dev/null || busybox ip link set lo up
          ip link add kw0 type veth peer name kw1 && ip addr add 192.0.2.1/24 dev kw0 && ip link set kw0 up \\
            && ip link set kw1 up && ip route add default via 192.0.2.254 dev kw0
          exec "$5" -c "$0" --root "$1" --state "$2" --address "$3"' \\
          '\(configPath)' '\(rootDirectory)' '\(stateDirectory)' '\(socketPath)' '\(hostRoot)' '\(containerd.binary)' \\
          >> '\(logPath)' 2>&1 < /dev/null &
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
