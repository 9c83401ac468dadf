import AuditEvent

/// One detection: what fired, on which key, what was seen against what was
/// expected, and the events behind it. Becomes an `mcp.audit/1` event with
/// `event_kind` `detection`, whose `event_id` is the alert id, so that every
/// sink de-duplicates a re-emitted alert like any other event.
public struct Alert: Sendable, Hashable {
    /// What the baseline is kept for.
    public enum Scope: String, Sendable, Hashable {
        case member
        case memberTool = "member_tool"
        case tool
        case tenant
    }

    public var detector: Detector
    public var scope: Scope
    public var tenant: String?
    public var member: String?
    public var tool: String?
    /// Event time of the event that fired it.
    public var at: Timestamp
    public var windowStart: Timestamp
    public var windowEnd: Timestamp
    public var observed: Double
    public var baselineMean: Double
    public var baselineSpread: Double
    /// 0 (at the threshold) to 1 (far beyond it).
    public var score: Double
    /// 0-10, as in CEF.
    public var severity: Int
    /// The newest events of the key, the firing one first; bounded.
    public var contributingEventIDs: [String]
    /// Stable for the detector, key and episode start: the same input gives the same id.
    public var alertID: String

    public init(
        detector: Detector,
        scope: Scope,
        tenant: String?,
        member: String?,
        tool: String?,
        at: Timestamp,
        windowStart: Timestamp,
        windowEnd: Timestamp,
        observed: Double,
        baselineMean: Double,
        baselineSpread: Double,
        score: Double,
        severity: Int,
        contributingEventIDs: [String],
        alertID: String
    ) {
        self.detector = detector
        self.scope = scope
        self.tenant = tenant
        self.member = member
        self.tool = tool
        self.at = at
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.observed = observed
        self.baselineMean = baselineMean
        self.baselineSpread = baselineSpread
        self.score = score
        self.severity = severity
        self.contributingEventIDs = contributingEventIDs
        self.alertID = alertID
    }

    /// The key as text: `member`, `member/tool`, `tool` or `tenant`.
    public var key: String {
        switch scope {
        case .member: member ?? ""
        case .memberTool: "\(member ?? "")/\(tool ?? "")"
        case .tool: tool ?? ""
        case .tenant: tenant ?? ""
        }
    }

    /// The `detection` object of the alert event.
    public var detectionJSON: RawJSON {
        var writer = JSONWriter(capacity: 512)
        writer.beginObject()
        writer.field("alert_id", alertID)
        writer.field("detector", detector.rawValue)
        writer.field("scope", scope.rawValue)
        writer.field("key", key)
        writer.beginObject("window")
        writer.field("start", windowStart.rfc3339)
        writer.field("end", windowEnd.rfc3339)
        writer.endObject()
        writer.field("observed", observed)
        writer.beginObject("baseline")
        writer.field("mean", baselineMean)
        writer.field("spread", baselineSpread)
        writer.endObject()
        writer.field("score", score)
        writer.field("severity", Int64(severity))
        writer.field("contributing_event_ids", contributingEventIDs)
        writer.endObject()
        return RawJSON(text: String(decoding: writer.bytes, as: UTF8.self))
    }

    /// The alert as an `mcp.audit/1` event.
    public var event: AuditEvent {
        AuditEvent(
            eventID: alertID,
            kind: .detection,
            occurredAt: at,
            source: Source(gateway: "countersign"),
            tenantID: tenant,
            actor: member.map { Actor(id: $0, type: .user) } ?? Actor(id: "countersign", type: .service),
            target: Target(tool: tool),
            outcome: Outcome(status: .success),
            detection: detectionJSON
        )
    }
}

extension Alert {
    /// A UUID-shaped id from a stable hash of the detector, the key and the
    /// episode's first window.
    static func id(_ detector: Detector, _ scope: Scope, _ key: String, episode: Int32) -> String {
        let text = "\(detector.rawValue)|\(scope.rawValue)|\(key)|\(episode)"
        let high = stableHash(text)
        let low = stableHash(text, seed: 0x8442_2325_CBF2_9CE4)
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: Swift.max(0, digits - text.count)) + text
        }
        let a = hex(high >> 32, 8)
        let b = hex((high >> 16) & 0xFFFF, 4)
        let c = hex(0x8000 | (high & 0x0FFF), 4)
        let d = hex(0x8000 | ((low >> 48) & 0x3FFF), 4)
        let e = hex(low & 0xFFFF_FFFF_FFFF, 12)
        return "\(a)-\(b)-\(c)-\(d)-\(e)"
    }
}
