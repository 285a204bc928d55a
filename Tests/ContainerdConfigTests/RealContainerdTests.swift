@testable import ContainerdConfig
import ContainerdSandbox
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Debian's real containerd 1.6 loads every patched schema-1/2 config: the CRI plugin is `ok` and
/// `containerd config dump` shows our runtimes with the right runtime_type, runtime_path, options
/// and pod_annotations. Schema 3 (containerd 2.x) is covered by parsing only: no containerd 2.x here.
@Suite(.serialized, .enabled(if: ContainerdSandbox.isAvailable, "needs root and Debian's containerd; see the printed reason"))
struct RealContainerdTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        /// The file already holds our block (as rendered by k3s): planning must change nothing.
        var prePatched = false
        var snapshot: @Sendable () throws -> HostConfigSnapshot
        var testDescription: String { label }
    }

    static let containerdVersion = "1.6.20"

    /// Every fixture the engine edits in place for containerd 1.x, except the AKS containerd-2 file
    /// (`version = 2` with v3 plugin ids: only containerd 2.x reads those ids).
    static let cases: [Case] = FixtureTests.cases.compactMap { c -> Case? in
        guard case .inPlace = c.expected, c.fixture != "aks-ubuntu2404-containerd2-teleport/config.toml" else { return nil }
        return Case(label: c.fixture, snapshot: { try FixtureTests.snapshot(for: c) })
    } + [
        // RKE2 renders this template as-is (no Go actions, no base): it is the config containerd reads.
        Case(label: "rke2-taroko-runsc/config.toml.tmpl (as rendered)") {
            Support.snapshot(.default, main: try Support.fixture("rke2-taroko-runsc/config.toml.tmpl"))
        },
        Case(label: "no config file: created from `containerd config default`") {
            Support.snapshot(.default, main: nil, defaults: try Support.defaults16)
        },
        // k3s/RKE2 without a user template: we create `{{ template "base" . }}` + our block. Emulate
        // k3s rendering it with a base equal to the rendered config (config.toml from 1.6 defaults).
        Case(label: "k3s: created base template, rendered", prePatched: true) {
            let rendered = try Support.defaults16
            let layout = DistroLayout.standard(.k3s)
            let k3s = Support.snapshot(.k3s, main: rendered)
            let plan = try ConfigEngine.planInstall(k3s, definitions: Support.standardDefinitions)
            let template = try #require(plan.files.first { $0.path == layout.templatePath }?.newContents)
            let renderedWithBlock = String(decoding: template, as: UTF8.self)
                .replacingOccurrences(of: "{{ template \"base\" . }}\n", with: String(decoding: rendered, as: UTF8.self))
            // What containerd reads after k3s restarts; planning on it again must change nothing.
            #expect(!(try ConfigEngine.planInstall(Support.applying(plan, to: k3s), definitions: Support.standardDefinitions)).changed)
            return Support.snapshot(.default, main: Array(renderedWithBlock.utf8))
        },
        Case(label: "runc with SystemdCgroup = true is inherited") {
            Support.snapshot(.default, main: Array("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\"\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n".utf8))
        },
    ]

    /// Host specifics of the fixtures' real nodes, replaced textually (never inside our block):
    /// the debug socket goes into the sandbox; the base OCI spec the EKS NVIDIA config names is
    /// created there (from `ctr oci spec`); MicroK8s' `${…}` placeholders are rendered the way
    /// MicroK8s renders them at start (overlayfs, runc, its snap dirs).
    static func localise(_ config: String, in sandbox: PrivateContainerd) throws -> String {
        var text = config.replacingOccurrences(of: "/var/run/docker/containerd/containerd-debug.sock", with: sandbox.base + "/debug.sock")
        if text.contains("/etc/containerd/base-runtime-spec.json") {
            let spec = try PrivateContainerd.run("/usr/bin/ctr", ["oci", "spec"])
            try Data(spec.stdout.utf8).write(to: URL(fileURLWithPath: sandbox.base + "/base-runtime-spec.json"))
            text = text.replacingOccurrences(of: "/etc/containerd/base-runtime-spec.json", with: sandbox.base + "/base-runtime-spec.json")
        }
        return text.replacingOccurrences(of: "${SNAPSHOTTER}", with: "overlayfs")
            .replacingOccurrences(of: "${RUNTIME}", with: "runc")
            .replacingOccurrences(of: "${SNAP_DATA}", with: sandbox.base + "/snap-data")
            .replacingOccurrences(of: "${SNAP}", with: sandbox.base + "/snap")
    }

    @Test(arguments: cases)
    func containerdLoadsThePatchedConfig(_ c: Case) throws {
        var snapshot = try c.snapshot()
        snapshot.containerdVersion = ContainerdVersion(parsing: Self.containerdVersion)
        let plan = try ConfigEngine.planInstall(snapshot, definitions: Support.standardDefinitions)
        #expect(plan.changed != c.prePatched)
        let installed = Support.applying(plan, to: snapshot)
        let patched = try #require(installed.contents(of: snapshot.layout.mainConfigPath))

        let sandbox = try PrivateContainerd()
        defer { sandbox.destroy() }
        // Keep the fixture's debug socket inside the sandbox (it is the only host path containerd
        // would create outside --root/--state/--address); everything else is the patched file as is.
        let text = try Self.localise(String(decoding: patched, as: UTF8.self), in: sandbox)
        try Data(text.utf8).write(to: URL(fileURLWithPath: sandbox.configPath))

        try sandbox.start()
        if let failure = try sandbox.criFailure() {
            // Only acceptable when the unpatched file fails the same way on this machine (a path
            // or placeholder that exists only on the fixture's real host); said loudly.
            let original = try PrivateContainerd()
            defer { original.destroy() }
            let unpatched = snapshot.contents(of: snapshot.layout.mainConfigPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
            try Data(try Self.localise(unpatched, in: original).utf8).write(to: URL(fileURLWithPath: original.configPath))
            try original.start()
            let originalFailure = try original.criFailure()
            #expect(originalFailure == failure, "\(c.label): our patch broke CRI: \(failure)\n(unpatched: \(originalFailure ?? "ok"))")
            print("*** \(c.label): CRI does not load on this machine even without our change (\(failure)); checked the config dump only ***")
        }

        let dump = try TOMLParser.parse(Array(try sandbox.configDump().utf8))
        let runtimes = ["plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes"]
        let systemdCgroup = dump.value(at: runtimes + ["runc", "options", "SystemdCgroup"])
        for definition in Support.standardDefinitions {
            let base = runtimes + [definition.handler]
            #expect(dump.value(at: base + ["runtime_type"]) == .string(definition.runtimeType),
                    "\(c.label): \(definition.handler) runtime_type in config dump")
            switch definition.kind {
            case .shim:
                #expect(dump.value(at: base + ["runtime_path"]) == .string(definition.shimPath!),
                        "\(c.label): \(definition.handler) runtime_path in config dump")
            case .ociBinary:
                #expect(dump.value(at: base + ["options", "BinaryName"]) == .string(definition.binaryPath!))
                #expect(dump.value(at: base + ["pod_annotations"]) == .array([.string("module.wasm.image/variant")]),
                        "\(c.label): pod_annotations in config dump")
            }
            if let systemdCgroup {
                #expect(dump.value(at: base + ["options", "SystemdCgroup"]) == systemdCgroup,
                        "\(c.label): \(definition.handler) must inherit runc's SystemdCgroup")
            }
        }
        // The user's own runtimes are still there.
        let before = try TOMLParser.parse(try snapshot.contents(of: snapshot.layout.mainConfigPath) ?? Support.defaults16)
        let userPath = ConfigSchema.runtimesPath(pluginID: plan.criPluginID)
        if let node = before.node(at: userPath) {
            for name in before.nodes[node].children.keys {
                #expect(dump.node(at: runtimes + [name]) != nil, "\(c.label): user runtime \(name) lost")
            }
        }
    }
}

/// A private stand-in for ContainerdSandbox.start(): that one runs its start script through
/// Foundation's Process, whose termination detection waits for a socket the daemonised containerd
/// inherits, so `start()` never returns (seen on this machine with Swift 6.3.1). Here containerd is
/// our direct child (posix_spawn + waitpid), in its own network namespace, with root, state and
/// socket in a temp dir. To be unified with ContainerdSandbox once that is fixed.
final class PrivateContainerd {
    let base: String
    var configPath: String { base + "/config.toml" }
    var socket: String { base + "/s/containerd.sock" }
    var logPath: String { base + "/containerd.log" }
    private var pid: pid_t = 0

    init() throws {
        var template = Array("/tmp/kwe-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SandboxError("mkdtemp failed") }
        base = String(cString: made)
        try FileManager.default.createDirectory(atPath: base + "/s", withIntermediateDirectories: true)
    }

    func start() throws {
        // A loopback default route lets CRI's streaming server pick an address, as on a real node.
        let setup = "ip link set lo up; ip link add kw0 type veth peer name kw1 && ip addr add 192.0.2.1/24 dev kw0 && ip link set kw0 up && ip link set kw1 up && ip route add default via 192.0.2.254 dev kw0; exec /usr/bin/containerd \"$@\""
        pid = try Self.spawn("/usr/bin/unshare", ["--net", "/bin/sh", "-c", setup, "sh", "-c", configPath,
                                                   "--root", base + "/root", "--state", base + "/s",
                                                   "--address", socket], output: logPath)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if try Self.run("/usr/bin/ctr", ["--address", socket, "--timeout", "2s", "version"]).status == 0 { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                throw SandboxError("containerd exited:\n" + log())
            }
            usleep(100_000)
        }
        throw SandboxError("containerd did not answer in 30 s:\n" + log())
    }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)).map { String($0.suffix(4000)) } ?? "" }

    func pluginsList() throws -> String {
        let result = try Self.run("/usr/bin/ctr", ["--address", socket, "plugins", "ls"])
        guard result.status == 0 else { throw SandboxError("ctr plugins ls: \(result.stderr)") }
        return result.stdout
    }

    /// nil when `ctr plugins ls` shows CRI `ok`, else containerd's reason.
    func criFailure() throws -> String? {
        let plugins = try pluginsList()
        let criLine = plugins.split(separator: "\n").first { $0.contains("io.containerd.grpc.v1") && $0.split(separator: " ").contains("cri") }
        if criLine?.split(separator: " ").last == "ok" { return nil }
        let reason = log().split(separator: "\n").last { $0.contains("failed to load plugin io.containerd.grpc.v1.cri") }
        guard let reason, let range = reason.range(of: "error=") else { return "CRI not ok: \(criLine ?? "missing")" }
        return String(reason[range.upperBound...])
    }

    func configDump() throws -> String {
        let result = try Self.run("/usr/bin/containerd", ["-c", configPath, "config", "dump"])
        guard result.status == 0 else { throw SandboxError("containerd config dump: \(result.stderr)") }
        return result.stdout
    }

    func destroy() {
        if pid > 0 {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            var reaped = false
            for _ in 0..<100 {
                if waitpid(pid, &status, WNOHANG) == pid { reaped = true; break }
                usleep(100_000)
            }
            if !reaped {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
            }
        }
        if let mounts = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) {
            for point in mounts.split(separator: "\n").compactMap({ $0.split(separator: " ").dropFirst(4).first.map(String.init) })
                .filter({ $0.hasPrefix(base + "/") }).sorted(by: { $0.count > $1.count }) {
                umount2(point, Int32(MNT_DETACH))
            }
        }
        try? FileManager.default.removeItem(atPath: base)
    }

    static func spawn(_ path: String, _ arguments: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw SandboxError("posix_spawn \(path): \(rc)") }
        return pid
    }

    static func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        var template = Array("/tmp/kwe-run-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SandboxError("mkdtemp failed") }
        let dir = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, dir + "/out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, dir + "/err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw SandboxError("posix_spawn \(path): \(rc)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exit = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (exit, (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "",
                (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "")
    }
}
