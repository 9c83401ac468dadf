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
    /// The longest message: 2048 for UDP (RFC 5426's should-accept size),
    /// 8192 for TCP. A longer one keeps every CEF field, its longest values
    /// shortened to fit (docs/siem.md, "Caps").
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
    public nonisolated let settings: SIEMSettings
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

    /// Opens a connection of its own (TCP connect, and the TLS handshake
    /// with certificate checks for `tls`) and closes it: the delivery's
    /// connection and queue are never held up by a probe.
    public nonisolated func probe() async throws {
        let endpoint = settings.endpoint
        let queue = BlockingQueue(label: "countersign.siem.probe")
        let result: Result<Void, SyslogSendError> = await queue.run {
            let connection = SyslogConnection(endpoint: endpoint)
            do throws(SyslogSendError) {
                try connection.connectIfNeeded()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Messages handed to the collector (the figure tests and the run summary use).
    public var sent: Int {
        get async { await counters.sent }
    }

    public func write(_ batch: EventBatch) async throws -> SinkOutcome {
        var items: [SIEMMessages.Item] = []
        if settings.selection == .all {
            for consumed in batch.events where settings.filter?.passes(consumed.event) ?? true {
                items.append(.event(consumed.event))
            }
        }
        items += batch.alerts.map { .alert($0) }
        guard !items.isEmpty else { return .accepted }
        let encoded = try await SIEMMessages(settings: settings).encode(items)
        truncated += encoded.truncated
        let failure: SyslogSendError? = await blocking.run { [delivery] in
            do throws(SyslogSendError) {
                try delivery.deliver(encoded.messages, now: .now)
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
}
