import CRdKafka
import Logging

/// librdkafka's log lines and asynchronous errors (authentication failed,
/// all brokers down) routed into swift-log, so they reach the same output,
/// format and level filter as ours instead of raw `%3|...|` lines on stderr.
enum KafkaLog {
    /// Made at first use, after the command set up logging.
    static let logger = Logger(label: "librdkafka")

    /// Sets both callbacks on a configuration before `rd_kafka_new`.
    static func install(on configuration: OpaquePointer) {
        rd_kafka_conf_set_log_cb(configuration) { handle, level, facility, text in
            let client = handle.map { String(cString: rd_kafka_name($0)) } ?? "librdkafka"
            KafkaLog.logger.log(
                level: KafkaLog.level(syslog: level),
                "\(text.map { String(cString: $0) } ?? "")",
                metadata: [
                    "client": "\(client)",
                    "facility": "\(facility.map { String(cString: $0) } ?? "")",
                ]
            )
        }
        rd_kafka_conf_set_error_cb(configuration) { handle, code, reason, _ in
            let client = handle.map { String(cString: rd_kafka_name($0)) } ?? "librdkafka"
            let error = rd_kafka_resp_err_t(code)
            KafkaLog.logger.error(
                "\(reason.map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(error)))",
                metadata: ["client": "\(client)", "code": "\(String(cString: rd_kafka_err2name(error)))"]
            )
        }
    }

    /// librdkafka uses syslog severities (0 emergency ... 7 debug).
    static func level(syslog: Int32) -> Logger.Level {
        switch syslog {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }
}
