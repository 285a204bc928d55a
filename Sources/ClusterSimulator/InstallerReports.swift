import FakeKubernetesAPI

/// JSON reports in the installer's format (docs/design/contracts.md) for simulated Jobs.
public enum InstallerReports {
    public static func installed(
        runtimes: [String], result: String = "installed", restarted: Bool = true, containerdVersion: String = "1.6.20"
    ) -> String {
        report([
            "operation": "install", "result": .string(result), "restarted": .bool(restarted), "rolledBack": false,
            "dryRun": false, "distro": "default", "containerdVersion": .string(containerdVersion),
            "configPath": "/etc/containerd/config.toml", "configSchema": 2, "machineID": "simulated",
            "runtimes": .array(runtimes.map { name in
                let file = "containerd-shim-\(name)-v1"
                return [
                    "name": .string(name), "handler": .string(name == "crun-wasmedge" ? "crun" : name),
                    "runtimeType": .string("io.containerd.\(name).v1"), "path": .string("/opt/kwasm/bin/\(file)"),
                    "sha256": .string(String(repeating: "0", count: 64)), "version": "1.0.0",
                ]
            }),
            "backupPath": "/etc/containerd/config.toml.kwasm-backup", "durationMs": 1500,
        ])
    }

    public static func uninstalled() -> String {
        report(["operation": "uninstall", "result": "uninstalled", "restarted": true, "rolledBack": false, "dryRun": false, "durationMs": 900])
    }

    public static func status(drift: [String]) -> String {
        report([
            "operation": "status", "result": .string(drift.isEmpty ? "installed" : "drifted"), "restarted": false,
            "rolledBack": false, "dryRun": false, "containerdVersion": "1.6.20",
            "drift": .array(drift.map { .string($0) }), "durationMs": 50,
        ])
    }

    public static func failed(operation: String = "install", code: String, message: String, result: String = "failed") -> String {
        report([
            "operation": .string(operation), "result": .string(result), "restarted": false, "rolledBack": true, "dryRun": false,
            "error": ["code": .string(code), "message": .string(message)], "durationMs": 700,
        ])
    }

    static func report(_ fields: [String: JSONValue]) -> String {
        JSONValue.object(fields).jsonString
    }
}
