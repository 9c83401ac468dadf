import AuditEvent
import Detection

/// One decoded event and where it came from: its origin is the message
/// (topic, partition, offset) and its place in that message (`index`), since
/// one message of some formats carries many events.
public struct ConsumedEvent: Sendable {
    public var event: AuditEvent
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// The event's place among the events of its message (0 for formats with one event per message).
    public var index: Int
    /// The leaf index of the raw message in the ledger, when a ledger runs
    /// (the link from a hot-tier row to its inclusion proof).
    public var ledgerIndex: UInt64?

    public init(
        event: AuditEvent,
        topic: String,
        partition: Int32,
        offset: Int64,
        index: Int = 0,
        ledgerIndex: UInt64? = nil
    ) {
        self.event = event
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.index = index
        self.ledgerIndex = ledgerIndex
    }
}

/// A message that gave no event (it did not decode), kept unchanged for the
/// dead-letter topic with why, never with what it held.
public struct RejectedMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    /// A stable error code (`invalid_json`, `timestamp_out_of_range`, `sink_rejected`, ...).
    public var code: String
    /// The field at fault, or the sink that refused the row.
    public var field: String?
    public var reason: String
    /// The record's place in its message, when one record of a batch (an
    /// OTLP export request) was refused and the rest delivered.
    public var record: Int?

    public init(
        topic: String,
        partition: Int32,
        offset: Int64,
        key: [UInt8]?,
        value: [UInt8],
        code: String,
        field: String?,
        reason: String,
        record: Int? = nil
    ) {
        self.record = record
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.code = code
        self.field = field
        self.reason = reason
    }
}

/// Events handed to the sinks together, in consumption order per partition,
/// with the alerts detection raised on them and the messages that did not
/// decode. Every sink gets the whole batch and takes its share: the hot tier
/// the events and alerts, the SIEM the alerts, the dead-letter topic the
/// rejected messages.
public struct EventBatch: Sendable {
    public var events: [ConsumedEvent]
    /// Alerts raised by these events (`alert.event` is their mcp.audit/1 form).
    public var alerts: [Alert]
    public var rejected: [RejectedMessage]

    public init(events: [ConsumedEvent], alerts: [Alert] = [], rejected: [RejectedMessage] = []) {
        self.events = events
        self.alerts = alerts
        self.rejected = rejected
    }

    /// Several batches as one, in order (one write for a sink that fell behind).
    public init(merging batches: [EventBatch]) {
        if batches.count == 1 {
            self = batches[0]
        } else {
            self.init(
                events: batches.flatMap(\.events),
                alerts: batches.flatMap(\.alerts),
                rejected: batches.flatMap(\.rejected)
            )
        }
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

    /// Checks, without writing anything, that the sink can work now (a
    /// connection, a TLS handshake); throws why not. Readiness runs it at
    /// start and again while it fails, never on the write path.
    func probe() async throws
}

extension Sink {
    /// Sinks with nothing to reach (a file opened at start, counters) are always ready.
    public func probe() async throws {}
}
