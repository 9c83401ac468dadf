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
            var bytes =
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
            if bytes.count > settings.maxMessageBytes {
                var cut = settings.maxMessageBytes
                // Back up to the start of a UTF-8 character.
                while cut > 0, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
                bytes.removeSubrange(cut...)
                truncated += 1
            }
            messages.append(bytes)
        }
        return (messages, truncated)
    }

    /// One CEF event in its syslog message.
    func message(_ cef: CEFEvent, time: Timestamp, tenant: String?, detector: String?) throws -> [UInt8] {
        var structured: [(String, String)] = []
        if let tenant { structured.append(("tenant", tenant)) }
        if let detector { structured.append(("detector", detector)) }
        return settings.format.message(
            cefBytes: try CEFEncoder.encodeBytes(cef),
            severity: cef.severity,
            time: time,
            msgID: cef.classID,
            structured: structured
        )
    }
}
