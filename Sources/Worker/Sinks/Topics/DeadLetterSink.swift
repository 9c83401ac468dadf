import AuditEvent
import GatewayFormats
import Kafka
import Logging
import Pipeline

/// A topic the worker produces to, waiting for every message: one that is
/// too large for the topic (refused by our producer or by the broker) goes
/// again truncated, with its size and SHA-256 in headers, so that what a
/// message holds never stops the worker; any other failure throws and the
/// sink's batch is offered again (at least once).
struct TopicOutput: Sendable {
    let topic: String
    let producer: KafkaProducer
    let books: Books
    let logger: Logger

    func produce(_ messages: [KafkaProducer.Outgoing]) async throws {
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

/// The dead-letter topic as a sink: each rejected message of a batch goes
/// unchanged, with headers saying why and where it came from
/// (``DeadLetter/headers(code:field:reason:topic:partition:offset:)``).
/// Acknowledged once the cluster acknowledged every one of them.
struct DeadLetterSink: Sink {
    let name = "dead_letter"
    let output: TopicOutput

    func write(_ batch: EventBatch) async throws -> SinkOutcome {
        try await send(batch.rejected)
        return .accepted
    }

    /// Produces the messages and waits until every one is delivered.
    func send(_ rejected: [RejectedMessage]) async throws {
        guard !rejected.isEmpty else { return }
        try await output.produce(
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
                        offset: $0.offset,
                        record: $0.record
                    )
                )
            }
        )
        for message in rejected { output.logger.debug("dead-lettered", metadata: ["code": "\(message.code)"]) }
        output.books.deadLettered(rejected)
    }
}

/// The alerts topic as a sink: every alert as an mcp.audit/1 event, keyed by
/// member (or by the alert's key when it has no member).
struct AlertsTopicSink: Sink {
    let name = "alerts_topic"
    let output: TopicOutput

    func write(_ batch: EventBatch) async throws -> SinkOutcome {
        guard !batch.alerts.isEmpty else { return .accepted }
        try await output.produce(
            batch.alerts.map {
                KafkaProducer.Outgoing(key: Array(($0.member ?? $0.key).utf8), value: $0.event.jsonBytes())
            }
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

    /// One record of a message that decoded in part: the record's canonical
    /// JSON (or the whole message when the format gives none) and its place.
    init(_ message: KafkaConsumer.Message, _ failure: RecordFailure) {
        self.init(
            topic: message.topic,
            partition: message.partition,
            offset: message.offset,
            key: message.key,
            value: failure.value.isEmpty ? message.value : failure.value,
            code: failure.error.code.name,
            field: failure.error.field,
            reason: failure.error.reason,
            record: failure.record
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
