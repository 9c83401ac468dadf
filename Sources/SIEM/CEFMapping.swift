import AuditEvent
import Detection

/// mcp.audit/1 to CEF, the table in docs/siem.md. SOC parsers depend on it:
/// change it only with a note in the docs.
public enum CEFMapping {
    public static let vendor = "Countersign"
    public static let product = "Countersign"
    public static let version = "0.1"

    /// An event (a tool call, or any other kind) as CEF.
    public static func event(_ e: AuditEvent, severity: Int = 1) -> CEFEvent {
        var x: [(key: String, value: String)] = []
        x.append(("rt", String(e.occurredAt.millisecondsSinceEpoch)))
        x.append(("externalId", e.eventID))
        x.append(("suser", e.actor.id))
        if let ip = e.actor.sourceIP { x.append(("src", ip)) }
        if let act = e.target.method ?? e.policy.decision?.rawValue { x.append(("act", act)) }
        x.append(("outcome", e.outcome.status == .success ? "success" : "failure"))
        if let reason = e.outcome.errorType ?? e.policy.reason { x.append(("reason", reason)) }
        if let tool = e.target.tool { x.append(("request", "mcp://\(e.target.serverID ?? "-")/\(tool)")) }
        if let args = e.request.argsBytes { x.append(("in", String(args))) }
        if let result = e.outcome.resultBytes { x.append(("out", String(result))) }
        if let duration = e.durationMs {
            x.append(("cn1", String(Int64(duration.rounded()))))
            x.append(("cn1Label", "DurationMs"))
        }
        x.append(("cat", "/MCP/\(e.kind.rawValue)"))
        custom(&x, 1, "Server", e.target.serverID)
        custom(&x, 2, "Tool", e.target.tool)
        custom(&x, 3, "Session", e.session.id)
        custom(&x, 4, "Tenant", e.tenantID)
        custom(&x, 5, "Agent", e.actor.agentID)
        custom(&x, 6, "ArgsSHA256", e.request.argsSHA256?.hex)
        return CEFEvent(
            vendor: vendor,
            product: product,
            version: version,
            classID: "mcp:\(e.kind.rawValue)",
            name: e.target.tool.map { "\(e.kind.rawValue) \($0)" } ?? e.kind.rawValue,
            severity: severity,
            extensions: x
        )
    }

    /// An alert as CEF: severity from the detector, RiskScore in cfp1.
    public static func alert(_ a: Alert) -> CEFEvent {
        var x: [(key: String, value: String)] = []
        x.append(("rt", String(a.at.millisecondsSinceEpoch)))
        x.append(("externalId", a.alertID))
        if let member = a.member { x.append(("suser", member)) }
        x.append(("act", "detect"))
        x.append(("outcome", "alert"))
        x.append(("reason", "\(a.detector.rawValue): observed \(a.observed), baseline \(a.baselineMean)"))
        if let tool = a.tool { x.append(("request", "mcp://-/\(tool)")) }
        x.append(("cfp1", String(a.score)))
        x.append(("cfp1Label", "RiskScore"))
        x.append(("cat", "/MCP/Detection/\(a.detector.rawValue)"))
        x.append(("start", String(a.windowStart.millisecondsSinceEpoch)))
        x.append(("end", String(a.windowEnd.millisecondsSinceEpoch)))
        custom(&x, 2, "Tool", a.tool)
        custom(&x, 4, "Tenant", a.tenant)
        custom(&x, 5, "Key", a.key)
        custom(&x, 6, "Evidence", a.contributingEventIDs.joined(separator: ","))
        return CEFEvent(
            vendor: vendor,
            product: product,
            version: version,
            classID: "detection:\(a.detector.rawValue)",
            name: "\(a.detector.rawValue) on \(a.scope.rawValue)",
            severity: a.severity,
            extensions: x
        )
    }

    private static func custom(
        _ x: inout [(key: String, value: String)],
        _ slot: Int,
        _ label: String,
        _ value: String?
    ) {
        guard let value else { return }
        x.append(("cs\(slot)", value))
        x.append(("cs\(slot)Label", label))
    }
}
