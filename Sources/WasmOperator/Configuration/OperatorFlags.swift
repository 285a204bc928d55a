import Foundation
import KubernetesClient

/// The operator's command-line flags as typed (contracts.md, "Operator command line"), before
/// validation. The executable fills this from ArgumentParser; `OperatorConfiguration(flags:)`
/// validates it so the checks are testable without a process.
public struct OperatorFlags: Sendable, Equatable {
    public var kubeconfig: String?
    public var namespace: String?
    public var installerImage: String?
    public var installerImagePullPolicy = "IfNotPresent"
    public var imagePullSecrets: [String] = []
    public var runtimes = "spin,wasmtime"
    public var maxParallel = 0
    public var nodeSelector: String?
    public var autoProvision = false
    public var restartStrategy = "auto"
    public var driftInterval = "10m"
    public var jobActiveDeadline = 600
    public var jobTTL = 3600
    public var jobBackoffLimit = 0
    public var maxAttempts = 5
    public var jobPriorityClass = "system-node-critical"
    public var installerResources = #"{"requests":{"cpu":"50m","memory":"64Mi"},"limits":{"memory":"256Mi"}}"#
    public var leaderElect = false
    public var leaderElectionNamespace: String?
    public var leaseName = "kwasm-operator"
    public var healthProbeBindAddress = ":8081"
    public var metricsBindAddress = ":8080"
    public var logFormat = "text"
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
