import AuditEvent
import Kafka
import Ledger

/// What goes with a message to the dead-letter topic: the message unchanged,
/// and headers that say why and where it came from, never what it held.
public enum DeadLetter {
    /// Header names, stable for the tools that read the topic.
    public enum Header {
        public static let code = "countersign.error.code"
        public static let field = "countersign.error.field"
        public static let reason = "countersign.error.reason"
        public static let topic = "countersign.source.topic"
        public static let partition = "countersign.source.partition"
        public static let offset = "countersign.source.offset"
        /// The refused record's place in its message (a batch format; absent when the whole message was refused).
        public static let record = "countersign.source.record"
        /// `true` when the value is a prefix of the message, cut to fit the topic.
        public static let truncated = "countersign.truncated"
        /// The message's size in bytes before it was cut.
        public static let originalSize = "countersign.original.size"
        /// SHA-256 of the whole message, lower-case hex: matches the ledger's
        /// copy and the producer's own records.
        public static let originalSHA256 = "countersign.original.sha256"
    }

    /// The first size a message refused for its size is cut to: fits
    /// librdkafka's and Kafka's default limits (1,000,000 and 1,048,588
    /// bytes) with room for key and headers. Refused again, it is halved.
    public static let truncatedSize = 900_000

    /// `message` cut to fit a topic that refused it for its size: the value
    /// shortened (to ``truncatedSize``, then by half each time), and headers
    /// saying so, with the original size and SHA-256 (added once, from the
    /// whole message). Nil when nothing is left to cut.
    public static func truncated(_ message: KafkaProducer.Outgoing) -> KafkaProducer.Outgoing? {
        var message = message
        if message.value.isEmpty {
            guard message.key != nil else { return nil }
            message.key = nil  // a key that alone is too large
            return message
        }
        if !message.headers.contains(where: { $0.name == Header.truncated }) {
            message.headers += [
                (Header.truncated, Array("true".utf8)),
                (Header.originalSize, Array(String(message.value.count).utf8)),
                (Header.originalSHA256, Array(SHA256Hasher().sha256(message.value).hex.utf8)),
            ]
        }
        let size = message.value.count > truncatedSize ? truncatedSize : message.value.count / 2
        message.value.removeSubrange(size...)
        return message
    }

    /// The headers of any dead letter: decoding failures, and rows a sink
    /// refused (code `sink_rejected`, field naming the sink).
    public static func headers(
        code: String,
        field: String?,
        reason: String,
        topic: String,
        partition: Int32,
        offset: Int64,
        record: Int? = nil
    ) -> [(name: String, value: [UInt8])] {
        var headers: [(name: String, value: [UInt8])] = [
            (Header.code, Array(code.utf8)),
            (Header.reason, Array(reason.utf8)),
            (Header.topic, Array(topic.utf8)),
            (Header.partition, Array(String(partition).utf8)),
            (Header.offset, Array(String(offset).utf8)),
        ]
        if let field { headers.insert((Header.field, Array(field.utf8)), at: 1) }
        if let record { headers.append((Header.record, Array(String(record).utf8))) }
        return headers
    }
}
