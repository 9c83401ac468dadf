import AuditEvent
import Detection
import Pipeline

/// What the SIEM sink sends.
public enum SIEMSelection: String, Sendable, Hashable, CaseIterable {
    /// Alerts only (the default: a SIEM licensed per event wants signal).
    case alerts
    /// Alerts and every event.
    case all
}

public struct SIEMSettings: Sendable, Hashable {
    public var endpoint: SyslogEndpoint
    public var format = SyslogFormat()
    public var selection: SIEMSelection = .alerts
    /// Longer messages are cut at a UTF-8 boundary to this many bytes:
    /// 2048 for UDP (RFC 5426's should-accept size), 8192 for TCP.
    public var maxMessageBytes: Int

    public init(endpoint: SyslogEndpoint, selection: SIEMSelection = .alerts, maxMessageBytes: Int? = nil) {
        self.endpoint = endpoint
        self.selection = selection
        self.maxMessageBytes = maxMessageBytes ?? (endpoint.transport == .udp ? 2_048 : 8_192)
    }
}

/// Sends alerts (and optionally events) to a SIEM as CEF over syslog. A
/// batch is acknowledged once the kernel took every message (TCP) or every
/// datagram was sent (UDP); when the collector is unreachable the write
/// throws and the worker pauses and retries, so delivery is at least once
/// (a retried batch can repeat messages the collector already had).
public actor SIEMSink: Sink {
    public nonisolated let name = "siem"
    public let settings: SIEMSettings
    private let connection: SyslogConnection
    public private(set) var sent = 0
    public private(set) var truncated = 0

    public init(settings: SIEMSettings) {
        self.settings = settings
        connection = SyslogConnection(endpoint: settings.endpoint)
    }

    public func write(_ batch: EventBatch) async throws -> SinkOutcome {
        var messages: [[UInt8]] = []
        if settings.selection == .all {
            for consumed in batch.events {
                messages.append(
                    try message(
                        CEFMapping.event(consumed.event),
                        time: consumed.event.occurredAt,
                        tenant: consumed.event.tenantID,
                        detector: nil
                    )
                )
            }
        }
        for alert in batch.alerts {
            messages.append(
                try message(
                    CEFMapping.alert(alert),
                    time: alert.at,
                    tenant: alert.tenant,
                    detector: alert.detector.rawValue
                )
            )
        }
        guard !messages.isEmpty else { return .accepted }
        try await connection.send(messages)
        sent += messages.count
        return .accepted
    }

    /// Encodes one CEF event in its syslog message, cut to the size limit.
    func message(_ cef: CEFEvent, time: Timestamp, tenant: String?, detector: String?) throws -> [UInt8] {
        var structured: [(String, String)] = []
        if let tenant { structured.append(("tenant", tenant)) }
        if let detector { structured.append(("detector", detector)) }
        var bytes = settings.format.message(
            cefBytes: try CEFEncoder.encodeBytes(cef),
            severity: cef.severity,
            time: time,
            msgID: cef.classID,
            structured: structured
        )
        if bytes.count > settings.maxMessageBytes {
            var cut = settings.maxMessageBytes
            // Back up to the start of a UTF-8 character.
            while cut > 0, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
            bytes.removeSubrange(cut...)
            truncated += 1
        }
        return bytes
    }
}
