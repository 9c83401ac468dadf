import AuditEvent
import Detection

/// One decoded event and where it came from.
public struct ConsumedEvent: Sendable {
    public var event: AuditEvent
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(event: AuditEvent, topic: String, partition: Int32, offset: Int64) {
        self.event = event
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// Events handed to the sinks together, in consumption order per partition,
/// with the alerts detection raised on them.
public struct EventBatch: Sendable {
    public var events: [ConsumedEvent]
    /// Alerts raised by these events (`alert.event` is their mcp.audit/1 form).
    public var alerts: [Alert]

    public init(events: [ConsumedEvent], alerts: [Alert] = []) {
        self.events = events
        self.alerts = alerts
    }
}

/// An output of the pipeline: PostgreSQL, the SIEM, the ledger, metrics.
///
/// `write` returns only when the batch is safe by the sink's own standard
/// (committed, sent or spooled, fsynced); that return is the acknowledgement
/// that lets the source commit the batch's offsets. Throwing means "not
/// acknowledged": the source pauses consumption and offers the same batch
/// again later, so a sink must accept a batch it has partly seen before
/// (event_id makes repeats harmless).
public protocol Sink: Sendable {
    /// A short name for logs and metrics.
    var name: String { get }

    func write(_ batch: EventBatch) async throws
}
