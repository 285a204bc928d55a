import KubernetesClient

/// Builds the privileged installer Job for one node and operation (contracts.md, issue 5).
public struct InstallerJobBuilder: Sendable {
    public static let containerName = "installer"
    public static let hostRootVolume = "host-root"
    /// Annotation on a Job: which attempt (1-based) for its spec hash and operation it is.
    public static let attemptAnnotation = "kwasm.sh/attempt"

    public let configuration: OperatorConfiguration
    public let specHash: String

    public init(configuration: OperatorConfiguration, specHash: String? = nil) {
        self.configuration = configuration
        self.specHash = specHash ?? SpecHash.compute(configuration)
    }

    public func job(operation: InstallerOperation, node: Node, attempt: Int) -> Job {
        let nodeName = node.metadata.name ?? ""
        let labels = [
            WellKnown.managedByLabel: WellKnown.managedByValue,
            WellKnown.operationLabel: operation.rawValue,
            WellKnown.nodeHashLabel: InstallerJobName.nodeHash(nodeName),
            WellKnown.specHashLabel: specHash,
        ]
        let metadata = ObjectMeta(
            name: InstallerJobName.name(operation: operation, node: nodeName),
            namespace: configuration.namespace,
            labels: labels,
            annotations: [WellKnown.nodeNameAnnotation: nodeName, Self.attemptAnnotation: String(attempt)],
            ownerReferences: [node.ownerReference()])

        var env = [
            EnvVar(name: "KWASM_HOST_ROOT", value: WellKnown.hostRootMount),
            EnvVar(name: "KWASM_RUNTIMES", value: configuration.runtimes.map(\.name).joined(separator: ",")),
            EnvVar(name: "KWASM_RESTART", value: configuration.restartStrategy),
        ]
        if let machineID = node.status?.nodeInfo?.machineID, !machineID.isEmpty {
            env.append(EnvVar(name: "KWASM_EXPECTED_MACHINE_ID", value: machineID))
        }

        let container = Container(
            name: Self.containerName,
            image: configuration.installerImage,
            imagePullPolicy: configuration.installerImagePullPolicy,
            command: ["kwasm-node-installer", operation.rawValue],
            env: env,
            resources: ResourceRequirements(
                requests: configuration.installerResources.requests, limits: configuration.installerResources.limits),
            volumeMounts: [VolumeMount(name: Self.hostRootVolume, mountPath: WellKnown.hostRootMount)],
            securityContext: SecurityContext(privileged: true),
            terminationMessagePath: "/dev/termination-log",
            terminationMessagePolicy: "FallbackToLogsOnError")

        let pod = PodSpec(
            nodeName: nodeName,
            hostPID: true,
            containers: [container],
            volumes: [Volume(name: Self.hostRootVolume, hostPath: .init(path: "/", type: "Directory"))],
            tolerations: [.everything],
            restartPolicy: "Never",
            automountServiceAccountToken: false,
            priorityClassName: configuration.jobPriorityClass,
            imagePullSecrets: configuration.imagePullSecrets.isEmpty
                ? nil : configuration.imagePullSecrets.map { LocalObjectReference(name: $0) })

        return Job(
            metadata: metadata,
            spec: .init(
                template: PodTemplateSpec(
                    metadata: ObjectMeta(labels: labels, annotations: [WellKnown.nodeNameAnnotation: nodeName]), spec: pod),
                backoffLimit: Int32(configuration.jobBackoffLimit),
                activeDeadlineSeconds: Int64(configuration.jobActiveDeadlineSeconds),
                ttlSecondsAfterFinished: Int32(configuration.jobTTLSeconds)))
    }
}
