import Foundation
import KubernetesClient

/// The planner's writes to the status it is building, the readiness label and the drift schedule.
extension NodePlanner {
    // MARK: - Drift

    func needsDriftCheck(node: Node) -> Bool {
        let recorded = input.status?.metadata.annotations ?? [:]
        let info = node.status?.nodeInfo
        if DriftSchedule.hostChanged(
            bootID: info?.bootID, recordedBootID: recorded[WellKnown.bootIDAnnotation],
            containerRuntimeVersion: info?.containerRuntimeVersion,
            recordedContainerRuntimeVersion: recorded[WellKnown.containerRuntimeVersionAnnotation])
        {
            return true
        }
        if let published = node.status?.runtimeHandlers {
            let names = Set(published.compactMap(\.name))
            if status?.runtimes?.compactMap(\.handler).contains(where: { !names.contains($0) }) == true { return true }
        }
        guard let last = status?.lastCheckedTime?.date,
              let next = DriftSchedule.nextCheck(node: nodeName, lastChecked: last, interval: configuration.driftInterval)
        else { return false }
        return next <= now
    }

    mutating func scheduleDriftCheck() {
        guard let last = status?.lastCheckedTime?.date,
              let next = DriftSchedule.nextCheck(node: nodeName, lastChecked: last, interval: configuration.driftInterval)
        else { return }
        plan.requeue(after: .milliseconds(Int64(max(0, next.timeIntervalSince(now)) * 1000) + 1000))
    }

    /// Remember the host identity the node had when we installed or checked it.
    mutating func recordHost(_ node: Node) {
        let info = node.status?.nodeInfo
        if let bootID = info?.bootID, !bootID.isEmpty { annotationsToRecord[WellKnown.bootIDAnnotation] = bootID }
        if let version = info?.containerRuntimeVersion, !version.isEmpty {
            annotationsToRecord[WellKnown.containerRuntimeVersionAnnotation] = version
        }
    }

    // MARK: - Status

    mutating func markInvalidAnnotation(_ selection: NodeSelection) {
        guard case .invalidAnnotation(let value) = selection else { return }
        let code = NodeReason.invalidAnnotation.rawValue
        let message = "annotation \(WellKnown.nodeAnnotation)=\"\(value)\" is invalid: use \"true\" to install or \"false\" to uninstall"
        if status?.lastError?.code != code || status?.lastError?.message != message {
            status?.lastError = .init(code: code, message: message, time: Time(now))
        }
        setCondition(ConditionType.installed, Condition.statusFalse, .invalidAnnotation, message)
        setCondition(ConditionType.ready, Condition.statusFalse, .invalidAnnotation, message)
        setPhase(.failed)
        // Once per value: a user who replaces one typo by another is told again.
        if originalPhase != .failed || input.status?.status?.lastError?.code != code
            || input.status?.status?.lastError?.message != message {
            plan.events.append(.warning(.invalidAnnotation, message, action: "Validate"))
        }
    }

    func isNodeReady(_ node: Node) -> Bool {
        guard let ready = node.status?.conditions?.first(where: { $0.type == "Ready" }) else { return true }
        return ready.status == "True"
    }

    mutating func ensureStatusObject(node: Node) {
        guard !statusObjectExists, plan.createStatusObject == nil else {
            if status == nil { status = .init() }
            return
        }
        var annotations: [String: String] = [:]
        if let bootID = node.status?.nodeInfo?.bootID, !bootID.isEmpty {
            annotations[WellKnown.bootIDAnnotation] = bootID
        }
        if let version = node.status?.nodeInfo?.containerRuntimeVersion, !version.isEmpty {
            annotations[WellKnown.containerRuntimeVersionAnnotation] = version
        }
        plan.createStatusObject = WasmNodeStatus(
            metadata: ObjectMeta(
                name: nodeName,
                labels: [WellKnown.managedByLabel: WellKnown.managedByValue],
                annotations: annotations.isEmpty ? nil : annotations,
                ownerReferences: [node.ownerReference()]),
            spec: .init(nodeName: nodeName))
        plan.deleteStatusObject = false
        status = status ?? .init()
    }

    mutating func setPhase(_ phase: WasmNodeStatus.Phase) {
        guard status != nil else { return }
        if status?.phase != phase {
            status?.phase = phase
            status?.lastTransitionTime = Time(now)
        }
        if let generation { status?.observedGeneration = generation }
    }

    mutating func setCondition(_ type: String, _ value: String, _ reason: NodeReason, _ message: String) {
        guard status != nil else { return }
        var conditions = status?.conditions ?? []
        conditions.set(Condition(
            type: type, status: value, observedGeneration: generation, lastTransitionTime: Time(now),
            reason: reason.rawValue, message: message))
        status?.conditions = conditions.sorted { Self.conditionOrder($0.type) < Self.conditionOrder($1.type) }
    }

    mutating func removeCondition(_ type: String) {
        guard let conditions = status?.conditions, conditions.contains(where: { $0.type == type }) else { return }
        status?.conditions = conditions.filter { $0.type != type }
    }

    static func conditionOrder(_ type: String) -> Int {
        [ConditionType.installed, ConditionType.runtimeVerified, ConditionType.ready, ConditionType.drifted]
            .firstIndex(of: type) ?? 99
    }

    // MARK: - Readiness label

    mutating func setLabel() {
        plan.label = input.node?.metadata.labels?[WellKnown.provisionedLabel] == "true" ? nil : .set
    }

    mutating func removeLabel() {
        plan.label = input.node?.metadata.labels?[WellKnown.provisionedLabel] == nil ? nil : .remove
    }
}
