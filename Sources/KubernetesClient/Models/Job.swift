/// A `batch/v1` Job: the operator creates one privileged installer Job per node and operation.
public struct Job: KubernetesResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "batch", version: "v1", plural: "jobs", kind: "Job", namespaced: true, hasStatus: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public init(metadata: ObjectMeta, spec: Spec? = nil, status: Status? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, spec, status
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        metadata = try container.decode(ObjectMeta.self, forKey: .metadata)
        // A cache that reads only metadata and status skips the pod template (see WatchOptions.decodesSpec).
        spec = decoder.skipsSpec ? nil : try container.decodeIfPresent(Spec.self, forKey: .spec)
        status = try container.decodeIfPresent(Status.self, forKey: .status)
    }

    /// `batch/v1.JobSpec`.
    public struct Spec: Codable, Sendable, Hashable {
        public var template: PodTemplateSpec
        public var backoffLimit: Int32?
        public var activeDeadlineSeconds: Int64?
        public var ttlSecondsAfterFinished: Int32?
        public var completions: Int32?
        public var parallelism: Int32?
        public var suspend: Bool?
        /// Server-generated unless `manualSelector` is set; kept free-form.
        public var selector: JSONValue?
        public var manualSelector: Bool?

        public init(
            template: PodTemplateSpec, backoffLimit: Int32? = nil, activeDeadlineSeconds: Int64? = nil,
            ttlSecondsAfterFinished: Int32? = nil, completions: Int32? = nil, parallelism: Int32? = nil,
            suspend: Bool? = nil, selector: JSONValue? = nil, manualSelector: Bool? = nil
        ) {
            self.template = template
            self.backoffLimit = backoffLimit
            self.activeDeadlineSeconds = activeDeadlineSeconds
            self.ttlSecondsAfterFinished = ttlSecondsAfterFinished
            self.completions = completions
            self.parallelism = parallelism
            self.suspend = suspend
            self.selector = selector
            self.manualSelector = manualSelector
        }
    }

    /// `batch/v1.JobStatus`.
    public struct Status: Codable, Sendable, Hashable {
        public var active: Int32?
        public var succeeded: Int32?
        public var failed: Int32?
        public var ready: Int32?
        public var startTime: Time?
        public var completionTime: Time?
        public var conditions: [JobCondition]?

        public init(
            active: Int32? = nil, succeeded: Int32? = nil, failed: Int32? = nil, ready: Int32? = nil,
            startTime: Time? = nil, completionTime: Time? = nil, conditions: [JobCondition]? = nil
        ) {
            self.active = active
            self.succeeded = succeeded
            self.failed = failed
            self.ready = ready
            self.startTime = startTime
            self.completionTime = completionTime
            self.conditions = conditions
        }
    }

    /// `batch/v1.JobCondition`: types `Complete`, `Failed`, `Suspended`, `FailureTarget`, `SuccessCriteriaMet`.
    public struct JobCondition: Codable, Sendable, Hashable {
        public var type: String
        public var status: String
        public var reason: String?
        public var message: String?
        public var lastProbeTime: Time?
        public var lastTransitionTime: Time?

        public init(
            type: String, status: String, reason: String? = nil, message: String? = nil, lastProbeTime: Time? = nil,
            lastTransitionTime: Time? = nil
        ) {
            self.type = type
            self.status = status
            self.reason = reason
            self.message = message
            self.lastProbeTime = lastProbeTime
            self.lastTransitionTime = lastTransitionTime
        }
    }
}

extension Job {
    /// Whether a condition of `type` is `True` (e.g. `Complete` or `Failed`).
    public func hasCondition(_ type: String) -> Bool {
        status?.conditions?.contains { $0.type == type && $0.status == "True" } ?? false
    }
}
