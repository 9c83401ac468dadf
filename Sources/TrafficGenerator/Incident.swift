import AuditEvent

/// A planted incident and its ground truth: what detection should find.
public struct Incident: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// One member calls one tool at many times its usual rate.
        case spike
        /// One member pulls results far larger than the tool usually returns.
        case exfiltration
        /// One member reads many distinct resources.
        case breadth
        /// A read from a sensitive tool followed within minutes by a send to an external one.
        case readThenSend = "read_then_send"
        /// A burst of denied, rate-limited and failed calls across tools.
        case probing
        /// A member calls a tool nobody in its tenant has used before.
        case firstSeen = "first_seen"
        /// A member works outside their usual hours.
        case offHours = "off_hours"
    }

    public var kind: Kind
    public var actor: String
    /// The actor's tenant.
    public var tenant: String?
    /// The tool involved, when one is.
    public var tool: String?
    public var start: Timestamp
    public var end: Timestamp

    public init(kind: Kind, actor: String, tenant: String? = nil, tool: String?, start: Timestamp, end: Timestamp) {
        self.kind = kind
        self.actor = actor
        self.tenant = tenant
        self.tool = tool
        self.start = start
        self.end = end
    }

    /// One line of the label file: JSON with kind, actor, tenant, tool, start and end.
    public var labelLine: [UInt8] {
        var writer = JSONWriter(capacity: 160)
        writer.beginObject()
        writer.field("kind", kind.rawValue)
        writer.field("actor", actor)
        writer.field("tenant", tenant)
        writer.field("tool", tool)
        writer.field("start", start.rfc3339)
        writer.field("end", end.rfc3339)
        writer.endObject()
        return writer.bytes
    }
}
