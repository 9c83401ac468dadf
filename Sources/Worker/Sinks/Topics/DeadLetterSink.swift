import AuditEvent
import Kafka
import Logging
import Pipeline
import Telemetry

/// The dead-letter topic as a sink: each rejected message of a batch goes
/// unchanged, with headers saying why and where it came from
/// (``DeadLetter/headers(code:field:reason:topic:partition:offset:)``).
/// Acknowledged once the cluster acknowledged every one of them.
///
/// A message too large for the topic (refused by our producer or by the
/// broker) goes again truncated, with its size and SHA-256 in headers: what
/// a message holds never stops the worker. Any other failure throws and the
/// batch is offered again (dead letters are at least once).
final class DeadLetterSink: Sink, @unchecked Sendable {
    let name = "dead_letter"
    let topic: String
    private let producer: KafkaProducer
    private let books: Books
    private let logger: Logger

    init(topic: String, producer: KafkaProducer, books: Books, logger: Logger) {
        self.topic = topic
        self.producer = producer
        self.books = books
        self.logger = logger
    }

    func write(_ batch: EventBatch) async throws -> SinkOutcome {
        try await send(batch.rejected)
        return .accepted
    }

    /// Produces the messages and waits until every one is delivered.
    func send(_ rejected: [RejectedMessage]) async throws {
        guard !rejected.isEmpty else { return }
        try await Self.produce(
            rejected.map {
                KafkaProducer.Outgoing(
                    key: $0.key,
                    value: $0.value,
                    headers: DeadLetter.headers(
                        code: $0.code,
                        field: $0.field,
                        reason: $0.reason,
                        topic: $0.topic,
                        partition: $0.partition,
                        offset: $0.offset
                    )
                )
            },
            to: topic,
            with: producer,
            books: books,
            logger: logger
        )
        for message in rejected { logger.debug("dead-lettered", metadata: ["code": "\(message.code)"]) }
        books.deadLettered(rejected)
    }

    /// Produces messages and waits for every one; too-large ones go again
    /// truncated, any other failure throws.
    static func produce(
        _ messages: [KafkaProducer.Outgoing],
        to topic: String,
        with producer: KafkaProducer,
        books: Books,
        logger: Logger
    ) async throws {
        var pending = messages
        while !pending.isEmpty {
            let outcomes = await producer.deliver(pending, to: topic)
            var again: [KafkaProducer.Outgoing] = []
            for (message, outcome) in zip(pending, outcomes) {
                guard let outcome else { continue }
                guard outcome.code == "MSG_SIZE_TOO_LARGE", let smaller = DeadLetter.truncated(message) else {
                    throw outcome
                }
                again.append(smaller)
                books.truncatedDeadLetter()
                logger.warning(
                    "a message too large for '\(topic)' goes truncated, with its size and SHA-256 in headers",
                    metadata: ["bytes": "\(message.value.count)", "now": "\(smaller.value.count)"]
                )
            }
            pending = again
        }
    }
}

/// The alerts topic as a sink: every alert as an mcp.audit/1 event, keyed by
/// member (or by the alert's key when it has no member).
final class AlertsTopicSink: Sink, @unchecked Sendable {
    let name = "alerts_topic"
    let topic: String
    private let producer: KafkaProducer
    private let books: Books
    private let logger: Logger

    init(topic: String, producer: KafkaProducer, books: Books, logger: Logger) {
        self.topic = topic
        self.producer = producer
        self.books = books
        self.logger = logger
    }

    func write(_ batch: EventBatch) async throws -> SinkOutcome {
        guard !batch.alerts.isEmpty else { return .accepted }
        try await DeadLetterSink.produce(
            batch.alerts.map {
                KafkaProducer.Outgoing(key: Array(($0.member ?? $0.key).utf8), value: $0.event.jsonBytes())
            },
            to: topic,
            with: producer,
            books: books,
            logger: logger
        )
        return .accepted
    }
}

extension RejectedMessage {
    /// A consumed message that did not decode.
    init(_ message: KafkaConsumer.Message, _ error: AuditEventError) {
        self.init(
            topic: message.topic,
            partition: message.partition,
            offset: message.offset,
            key: message.key,
            value: message.value,
            code: error.code.name,
            field: error.field,
            reason: error.reason
        )
    }

    /// A row a sink refused for good: its raw bytes unchanged, the sink and its reason in the headers.
    init(_ rejection: SinkRejection, sink: String) {
        let event = rejection.event
        self.init(
            topic: event.topic,
            partition: event.partition,
            offset: event.offset,
            key: Array(event.event.actor.id.utf8),
            value: event.event.raw.isEmpty ? event.event.jsonBytes() : event.event.raw,
            code: "sink_rejected",
            field: sink,
            reason: rejection.reason
        )
    }
}
