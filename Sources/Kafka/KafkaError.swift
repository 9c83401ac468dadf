import CRdKafka

/// A failure reported by librdkafka or by the wrapper around it.
///
/// It names the librdkafka error code and what was being done, never a
/// message payload or a configuration value (values may be secrets).
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// librdkafka's symbolic name of the error (`_QUEUE_FULL`, `UNKNOWN_TOPIC_OR_PART`, ...), or a wrapper code.
    public var code: String
    /// What failed, in words.
    public var reason: String

    public init(code: String, reason: String) {
        self.code = code
        self.reason = reason
    }

    /// An error from a librdkafka response code.
    init(_ error: rd_kafka_resp_err_t, while doing: String) {
        code = String(cString: rd_kafka_err2name(error))
        reason = "\(doing): \(String(cString: rd_kafka_err2str(error)))"
    }

    /// The configuration key was refused (unknown key or invalid value).
    static func configuration(key: String, detail: String) -> KafkaError {
        KafkaError(code: "configuration", reason: "property '\(key)': \(detail)")
    }

    public var description: String { "kafka \(code): \(reason)" }
}
