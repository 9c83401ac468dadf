import AuditEvent
import Kafka

/// What goes with a message to the dead-letter topic: the message unchanged,
/// and headers that say why and where it came from, never what it held.
public struct DeadLetter: Sendable, Hashable {
    public var message: KafkaConsumer.Message
    public var reason: AuditEventError

    public init(message: KafkaConsumer.Message, reason: AuditEventError) {
        self.message = message
        self.reason = reason
    }

    /// Header names, stable for the tools that read the topic.
    public enum Header {
        public static let code = "countersign.error.code"
        public static let field = "countersign.error.field"
        public static let reason = "countersign.error.reason"
        public static let topic = "countersign.source.topic"
        public static let partition = "countersign.source.partition"
        public static let offset = "countersign.source.offset"
    }

    public var headers: [(name: String, value: [UInt8])] {
        Self.headers(
            code: reason.code.name,
            field: reason.field,
            reason: reason.reason,
            topic: message.topic,
            partition: message.partition,
            offset: message.offset
        )
    }

    /// The headers of any dead letter: decoding failures, and rows a sink
    /// refused (code `sink_rejected`, field naming the sink).
    public static func headers(
        code: String,
        field: String?,
        reason: String,
        topic: String,
        partition: Int32,
        offset: Int64
    ) -> [(name: String, value: [UInt8])] {
        var headers: [(name: String, value: [UInt8])] = [
            (Header.code, Array(code.utf8)),
            (Header.reason, Array(reason.utf8)),
            (Header.topic, Array(topic.utf8)),
            (Header.partition, Array(String(partition).utf8)),
            (Header.offset, Array(String(offset).utf8)),
        ]
        if let field { headers.insert((Header.field, Array(field.utf8)), at: 1) }
        return headers
    }
}
