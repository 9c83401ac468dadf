import AuditEvent
import Detection

/// One decoded event and where it came from.
public struct ConsumedEvent: Sendable {
    public var event: AuditEvent
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// The leaf index of the raw message in the ledger, when a ledger runs
    /// (the link from a hot-tier row to its inclusion proof).
    public var ledgerIndex: UInt64?

    public init(event: AuditEvent, topic: String, partition: Int32, offset: Int64, ledgerIndex: UInt64? = nil) {
        self.event = event
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.ledgerIndex = ledgerIndex
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

/// An event a sink refused for good (the database rejected its row): the
/// worker sends it to the dead-letter topic with the reason, and the rest
/// of the batch counts as acknowledged.
public struct SinkRejection: Sendable {
    public var event: ConsumedEvent
    /// Why, without the event's content.
    public var reason: String

    public init(event: ConsumedEvent, reason: String) {
        self.event = event
        self.reason = reason
    }
}

/// What a sink says of a batch it acknowledged.
public struct SinkOutcome: Sendable {
    public var rejected: [SinkRejection]

    public init(rejected: [SinkRejection] = []) {
        self.rejected = rejected
    }

    /// Everything went in.
    public static let accepted = SinkOutcome()
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

    /// Returns when the batch is safe; rows refused for good come back as rejections.
    func write(_ batch: EventBatch) async throws -> SinkOutcome
}
