import AuditEvent
import Blocking
import Detection
import Pipeline
import ServiceLifecycle

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
    /// Which events go when `selection` is `all`; nil sends every one.
    public var filter: SIEMEventFilter?
    /// Where messages wait while the collector is unreachable; nil makes
    /// the sink refuse the batch instead (the worker pauses and retries).
    public var spool: SpoolSettings?
    /// How long a stream connection's sent messages are kept for a replay.
    public var replayWindow: Duration = .seconds(2)
    /// The longest wait between reconnection attempts.
    public var reconnectMaximum: Duration = .seconds(30)
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
/// batch is acknowledged once every message was handed to the collector's
/// socket, or written and fsynced to the spool, or dropped by the spool's
/// when-full policy (counted). Delivery is at least once: a broken stream
/// connection's last `replayWindow` of messages is sent again. As a service
/// it drains the spool and checks the connection between batches.
public actor SIEMSink: Sink, Service {
    public nonisolated let name = "siem"
    public let settings: SIEMSettings
    private let delivery: SyslogDelivery
    private let blocking = BlockingQueue(label: "countersign.siem")
    public private(set) var truncated = 0

    public init(settings: SIEMSettings) throws(SpoolError) {
        self.settings = settings
        delivery = try SyslogDelivery(
            endpoint: settings.endpoint,
            spool: settings.spool,
            replayWindow: settings.replayWindow,
            backoff: ReconnectBackoff(maximum: settings.reconnectMaximum)
        )
    }

    /// Messages sent, spooled, dropped and waiting, so far.
    public var counters: SIEMDeliveryCounters {
        get async {
            await blocking.run { [delivery] in delivery.counters }
        }
    }

    /// Messages handed to the collector (the figure tests and the run summary use).
    public var sent: Int {
        get async { await counters.sent }
    }

    public func write(_ batch: EventBatch) async throws -> SinkOutcome {
        var messages: [[UInt8]] = []
        if settings.selection == .all {
            for consumed in batch.events where settings.filter?.passes(consumed.event) ?? true {
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
        let failure: SyslogSendError? = await blocking.run { [delivery, messages] in
            do throws(SyslogSendError) {
                try delivery.deliver(messages, now: .now)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        return .accepted
    }

    /// Between batches: every 200 ms, check the connection and drain the spool.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(200))
            await blocking.run { [delivery] in delivery.maintain(now: .now) }
        }
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
