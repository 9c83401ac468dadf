import AuditEvent
import Detection

/// Turns events and alerts into syslog messages (CEF inside), cut to the
/// size limit. Pure; a large batch is encoded on two tasks at once, the
/// halves joined in order.
struct SIEMMessages: Sendable {
    enum Item: Sendable {
        case event(AuditEvent)
        case alert(Alert)
    }

    let settings: SIEMSettings
    /// Below this many messages one task does it all.
    static let parallelThreshold = 512

    func encode(_ items: [Item]) async throws -> (messages: [[UInt8]], truncated: Int) {
        guard items.count >= Self.parallelThreshold else { return try encode(items[...]) }
        let middle = items.count / 2
        async let first = encode(items[..<middle])
        let second = try encode(items[middle...])
        let head = try await first
        return (head.messages + second.messages, head.truncated + second.truncated)
    }

    func encode(_ items: ArraySlice<Item>) throws -> (messages: [[UInt8]], truncated: Int) {
        var messages: [[UInt8]] = []
        messages.reserveCapacity(items.count)
        var truncated = 0
        for item in items {
            let (bytes, shortened) =
                switch item {
                case .event(let event):
                    try message(
                        CEFMapping.event(event),
                        time: event.occurredAt,
                        tenant: event.tenantID,
                        detector: nil
                    )
                case .alert(let alert):
                    try message(
                        CEFMapping.alert(alert),
                        time: alert.at,
                        tenant: alert.tenant,
                        detector: alert.detector.rawValue
                    )
                }
            if shortened { truncated += 1 }
            messages.append(bytes)
        }
        return (messages, truncated)
    }

    /// A CEF payload shorter than this drops the structured data (the tenant
    /// is in `cs4` as well) rather than lose more of itself.
    static let smallestPayload = 256

    /// One CEF event in its syslog message, at most `maxMessageBytes`: the
    /// header and structured data have capped fields, and the CEF payload
    /// is fitted into what is left (long values shortened, every field
    /// kept; see ``CEFEncoder/encodeBytes(_:maxBytes:)``), so the frame is
    /// always well formed and the payload always parses.
    func message(
        _ cef: CEFEvent,
        time: Timestamp,
        tenant: String?,
        detector: String?
    ) throws -> (bytes: [UInt8], shortened: Bool) {
        var structured: [(String, String)] = []
        if let tenant { structured.append(("tenant", tenant)) }
        if let detector { structured.append(("detector", detector)) }
        let format = settings.format
        let payload = try CEFEncoder.encodeBytes(cef)
        let whole = format.message(
            cefBytes: payload,
            severity: cef.severity,
            time: time,
            msgID: cef.classID,
            structured: structured
        )
        if whole.count <= settings.maxMessageBytes { return (whole, false) }
        // Too long: measure what surrounds the payload, then fit the payload.
        func overhead(_ structured: [(String, String)]) -> Int {
            format.message(cefBytes: [], severity: cef.severity, time: time, msgID: cef.classID, structured: structured)
                .count
        }
        var around = overhead(structured)
        if settings.maxMessageBytes - around < Self.smallestPayload, !structured.isEmpty {
            structured = []
            around = overhead(structured)
        }
        let fitted = try CEFEncoder.encodeBytes(cef, maxBytes: max(0, settings.maxMessageBytes - around))
        let bytes = format.message(
            cefBytes: fitted.bytes,
            severity: cef.severity,
            time: time,
            msgID: cef.classID,
            structured: structured
        )
        return (bytes, true)
    }
}
