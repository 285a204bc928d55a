import ArgumentParser
import Foundation
import KubernetesClient

/// The operator's command-line flags as typed (contracts.md, "Operator command line"), before
/// validation: each flag is declared here once, with its default and help, and parsed by
/// `kwasm-operator run` and `kwasm-operator cleanup` alike. `OperatorConfiguration(flags:)`
/// validates them, so the checks are testable without a process (`OperatorFlags.parse([…])`).
public struct OperatorFlags: ParsableArguments, Sendable {
    @Option(help: "Kubeconfig file (default: in-cluster, else KUBECONFIG, else ~/.kube/config).")
    public var kubeconfig: String?
    @Option(help: "Namespace of the installer Jobs (default: POD_NAMESPACE, else kwasm).")
    public var namespace: String?
    @Option(help: "Installer image, repo:tag or repo@sha256:… (required).")
    public var installerImage: String?
    @Option(help: "Always, IfNotPresent or Never.")
    public var installerImagePullPolicy = "IfNotPresent"
    @Option(name: .customLong("image-pull-secret"), help: "Image pull secret for the installer (repeatable).")
    public var imagePullSecrets: [String] = []
    @Option(help: "Runtimes from the catalog, comma separated.")
    public var runtimes = "spin,wasmtime"
    @Option(help: "Nodes installing at once; 0 = one per 10 selected nodes, at least 1.")
    public var maxParallel = 0
    @Option(help: "Label selector that also selects nodes (for clusters that re-create nodes without annotations).")
    public var nodeSelector: String?
    @Flag(help: "Select every node.")
    public var autoProvision = false
    @Option(help: "Installer restart strategy: auto, systemd, k3s, rke2, microk8s, k0s, none, command.")
    public var restartStrategy = "auto"
    @Option(help: "Drift check interval, e.g. 10m; 0 disables periodic checks (jittered ±10 %).")
    public var driftInterval = "10m"
    @Option(help: "Installer Job activeDeadlineSeconds.")
    public var jobActiveDeadline = 600
    @Option(name: .customLong("job-ttl"), help: "Installer Job ttlSecondsAfterFinished.")
    public var jobTTL = 3600
    @Option(help: "Installer Job backoffLimit (the operator retries with new Jobs itself).")
    public var jobBackoffLimit = 0
    @Option(help: "Attempts per spec before a node is marked Failed.")
    public var maxAttempts = 5
    @Option(help: "Installer priorityClassName; empty for none.")
    public var jobPriorityClass = "system-node-critical"
    @Option(help: "Installer container resources as JSON.")
    public var installerResources = #"{"requests":{"cpu":"50m","memory":"64Mi"},"limits":{"memory":"256Mi"}}"#
    @Flag(help: "Elect a leader with a coordination.k8s.io Lease.")
    public var leaderElect = false
    @Option(help: "Namespace of the Lease (default: --namespace).")
    public var leaderElectionNamespace: String?
    @Option(help: "Name of the Lease; cleanup holds <name>-cleanup to pause a running operator.")
    public var leaseName = "kwasm-operator"
    @Option(help: "Address of /healthz and /readyz (0 disables; cleanup serves none).")
    public var healthProbeBindAddress = ":8081"
    @Option(help: "Address of /metrics (0 disables; cleanup serves none).")
    public var metricsBindAddress = ":8080"
    @Option(help: "Log format: text or json.")
    public var logFormat = "text"
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel = "info"

    public init() {}
}

extension OperatorConfiguration {
    static let restartStrategies = ["auto", "systemd", "k3s", "rke2", "microk8s", "k0s", "none", "command"]
    static let pullPolicies = ["Always", "IfNotPresent", "Never"]
    static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Validates flags; `environment` supplies `POD_NAMESPACE`.
    public init(flags: OperatorFlags, environment: [String: String] = [:]) throws(ConfigurationError) {
        guard let image = flags.installerImage, !image.isEmpty else {
            throw ConfigurationError("--installer-image is required (repo:tag or repo@sha256:<64 hex>)")
        }
        try Self.validateImageReference(image)
        let namespace = flags.namespace ?? environment["POD_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? "kwasm"
        guard Self.isDNS1123Label(namespace) else {
            throw ConfigurationError("--namespace \"\(namespace)\" is not a valid namespace name")
        }
        let names = flags.runtimes.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ConfigurationError("--runtimes must name at least one runtime") }
        let runtimes: [WasmRuntime]
        do { runtimes = try KnownWasmRuntimes.default.resolve(names) } catch { throw ConfigurationError(error.description) }

        self.init(installerImage: image, namespace: namespace, runtimes: runtimes)
        kubeconfig = flags.kubeconfig

        guard Self.pullPolicies.contains(flags.installerImagePullPolicy) else {
            throw ConfigurationError("--installer-image-pull-policy must be one of \(Self.pullPolicies.joined(separator: ", "))")
        }
        installerImagePullPolicy = flags.installerImagePullPolicy
        for secret in flags.imagePullSecrets where !Self.isDNS1123Subdomain(secret) {
            throw ConfigurationError("--image-pull-secret \"\(secret)\" is not a valid Secret name")
        }
        imagePullSecrets = flags.imagePullSecrets

        guard flags.maxParallel >= 0 else { throw ConfigurationError("--max-parallel must be 0 (auto) or positive") }
        maxParallel = flags.maxParallel
        if let selector = flags.nodeSelector, !selector.trimmingWhitespace().isEmpty {
            do { nodeSelector = try LabelSelector(parsing: selector) } catch { throw ConfigurationError(error.description) }
        }
        autoProvision = flags.autoProvision
        guard Self.restartStrategies.contains(flags.restartStrategy) else {
            throw ConfigurationError("--restart-strategy must be one of \(Self.restartStrategies.joined(separator: ", "))")
        }
        restartStrategy = flags.restartStrategy
        do { driftInterval = try DurationParser.parse(flags.driftInterval) } catch {
            throw ConfigurationError("--drift-interval: \(error.description)")
        }
        guard flags.jobActiveDeadline > 0 else { throw ConfigurationError("--job-active-deadline must be positive") }
        jobActiveDeadlineSeconds = flags.jobActiveDeadline
        guard flags.jobTTL >= 0 else { throw ConfigurationError("--job-ttl must not be negative") }
        jobTTLSeconds = flags.jobTTL
        guard flags.jobBackoffLimit >= 0 else { throw ConfigurationError("--job-backoff-limit must not be negative") }
        jobBackoffLimit = flags.jobBackoffLimit
        guard flags.maxAttempts >= 1 else { throw ConfigurationError("--max-attempts must be at least 1") }
        maxAttempts = flags.maxAttempts
        jobPriorityClass = flags.jobPriorityClass.isEmpty ? nil : flags.jobPriorityClass
        do {
            installerResources = try JSONDecoder().decode(InstallerResources.self, from: Data(flags.installerResources.utf8))
        } catch {
            throw ConfigurationError("--installer-resources is not valid JSON of the form {\"requests\":{…},\"limits\":{…}}: \(flags.installerResources)")
        }
        leaderElect = flags.leaderElect
        leaderElectionNamespace = flags.leaderElectionNamespace ?? namespace
        guard Self.isDNS1123Subdomain(flags.leaseName) else {
            throw ConfigurationError("--lease-name \"\(flags.leaseName)\" is not a valid Lease name")
        }
        leaseName = flags.leaseName
        healthProbeBindAddress = try BindAddress.parse(flags.healthProbeBindAddress)
        metricsBindAddress = try BindAddress.parse(flags.metricsBindAddress)
        guard let format = LogFormat(rawValue: flags.logFormat) else {
            throw ConfigurationError("--log-format must be json or text")
        }
        logFormat = format
        guard Self.logLevels.contains(flags.logLevel) else {
            throw ConfigurationError("--log-level must be one of \(Self.logLevels.joined(separator: ", "))")
        }
        logLevel = flags.logLevel
    }

    /// `repo[:tag]` or `repo@sha256:<64 hex>`; a floating reference is allowed but a digest is preferred.
    static func validateImageReference(_ image: String) throws(ConfigurationError) {
        if let at = image.firstIndex(of: "@") {
            let digest = image[image.index(after: at)...]
            guard digest.hasPrefix("sha256:"), digest.dropFirst(7).count == 64,
                  digest.dropFirst(7).allSatisfy({ $0.isHexDigit && !$0.isUppercase }),
                  at != image.startIndex else {
                throw ConfigurationError("--installer-image \"\(image)\": digest must be sha256:<64 lowercase hex>")
            }
            return
        }
        guard !image.contains(where: { $0.isWhitespace }), image.first.map({ $0.isASCIIAlphanumeric }) == true else {
            throw ConfigurationError("--installer-image \"\(image)\" is not an image reference")
        }
    }

    static func isDNS1123Label(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 63, let first = text.first, let last = text.last,
              first.isLowercaseASCIIAlphanumeric, last.isLowercaseASCIIAlphanumeric else { return false }
        return text.allSatisfy { $0.isLowercaseASCIIAlphanumeric || $0 == "-" }
    }

    static func isDNS1123Subdomain(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNS1123Label(String($0)) }
    }
}

extension Character {
    var isASCIIAlphanumeric: Bool { isASCII && (isLetter || isNumber) }
    var isLowercaseASCIIAlphanumeric: Bool { isASCII && (isLowercase || isNumber) }
}
