/// An `events.k8s.io/v1` Event.
public struct Event: KubernetesResource, Hashable {
    public static let resource = ResourceDescriptor(
        group: "events.k8s.io", version: "v1", plural: "events", kind: "Event", namespaced: true, hasStatus: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// When the event was first observed; required by the server.
    public var eventTime: MicroTime?
    public var series: Series?
    public var reportingController: String?
    public var reportingInstance: String?
    /// What was done (or failed), e.g. `Install`.
    public var action: String?
    /// Why, CamelCase, e.g. `InstallFailed`.
    public var reason: String?
    public var regarding: ObjectReference?
    public var related: ObjectReference?
    /// Human-readable description, at most 1 KiB.
    public var note: String?
    /// `Normal` or `Warning`.
    public var type: String?

    public init(
        metadata: ObjectMeta, eventTime: MicroTime? = nil, series: Series? = nil, reportingController: String? = nil,
        reportingInstance: String? = nil, action: String? = nil, reason: String? = nil,
        regarding: ObjectReference? = nil, related: ObjectReference? = nil, note: String? = nil, type: String? = nil
    ) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.eventTime = eventTime
        self.series = series
        self.reportingController = reportingController
        self.reportingInstance = reportingInstance
        self.action = action
        self.reason = reason
        self.regarding = regarding
        self.related = related
        self.note = note
        self.type = type
    }

    /// `events.k8s.io/v1.EventSeries`: repeats of the same event are counted here instead of creating new events.
    public struct Series: Codable, Sendable, Hashable {
        public var count: Int32
        public var lastObservedTime: MicroTime

        public init(count: Int32, lastObservedTime: MicroTime) {
            self.count = count
            self.lastObservedTime = lastObservedTime
        }
    }

    public static let typeNormal = "Normal"
    public static let typeWarning = "Warning"
}
