import Blocking
import CRdKafka
import Synchronization

/// Produces messages to Kafka. One instance owns one librdkafka producer
/// handle and frees it in `deinit`.
///
/// `send` only enqueues (librdkafka copies the bytes); when the local queue
/// is full it waits for deliveries on a blocking queue, off the cooperative
/// pool. `flush` waits until every enqueued message is delivered or failed;
/// the counts say which.
public final class KafkaProducer: @unchecked Sendable {
    /// Delivery outcomes reported by librdkafka's delivery callback.
    public struct Deliveries: Sendable, Hashable {
        public var delivered = 0
        public var failed = 0
        /// The code of the last failure, if any.
        public var lastError: String?

        public init(delivered: Int = 0, failed: Int = 0, lastError: String? = nil) {
            self.delivered = delivered
            self.failed = failed
            self.lastError = lastError
        }
    }

    private let handle: OpaquePointer
    private let reports: DeliveryReports
    private let blocking = BlockingQueue(label: "countersign.kafka.producer")

    /// `properties` must name `bootstrap.servers`; every other librdkafka
    /// producer property passes through.
    public init(properties: KafkaProperties) throws(KafkaError) {
        let reports = DeliveryReports()
        handle = try properties.makeClient(RD_KAFKA_PRODUCER, role: "producer") { configuration in
            rd_kafka_conf_set_opaque(configuration, Unmanaged.passUnretained(reports).toOpaque())
            rd_kafka_conf_set_dr_msg_cb(configuration) { _, message, opaque in
                guard let message, let opaque else { return }
                Unmanaged<DeliveryReports>.fromOpaque(opaque).takeUnretainedValue().record(message.pointee.err)
            }
        }
        self.reports = reports
    }

    deinit {
        rd_kafka_destroy(handle)
    }

    /// Delivery outcomes so far.
    public var deliveries: Deliveries { reports.snapshot }

    /// Enqueues one message. `partition` nil lets the partitioner choose
    /// (by key when there is one).
    public func send(
        topic: String,
        key: [UInt8]? = nil,
        value: [UInt8],
        headers: [(name: String, value: [UInt8])] = [],
        partition: Int32? = nil
    ) async throws(KafkaError) {
        while true {
            let result = enqueue(topic: topic, key: key, value: value, headers: headers, partition: partition)
            if result == RD_KAFKA_RESP_ERR_NO_ERROR {
                rd_kafka_poll(handle, 0)  // serve delivery reports; never blocks
                return
            }
            guard result == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                throw KafkaError(result, while: "enqueueing a message for '\(topic)'")
            }
            // Backpressure: wait for deliveries to free the local queue.
            let handle = UncheckedHandle(pointer: self.handle)
            _ = await blocking.run { rd_kafka_poll(handle.pointer, 100) }
        }
    }

    /// Waits until every enqueued message is delivered or has failed.
    public func flush(timeoutMilliseconds: Int32 = 30_000) async throws(KafkaError) {
        let handle = UncheckedHandle(pointer: self.handle)
        let result = await blocking.run { rd_kafka_flush(handle.pointer, timeoutMilliseconds) }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(result, while: "flushing the producer")
        }
    }

    private func enqueue(
        topic: String,
        key: [UInt8]?,
        value: [UInt8],
        headers: [(name: String, value: [UInt8])],
        partition: Int32?
    ) -> rd_kafka_resp_err_t {
        var list: OpaquePointer?
        if !headers.isEmpty {
            list = rd_kafka_headers_new(headers.count)
            for header in headers {
                _ = header.value.withUnsafeBytes { bytes in
                    rd_kafka_header_add(list, header.name, -1, bytes.baseAddress, bytes.count)
                }
            }
        }
        let result = value.withUnsafeBytes { valueBytes in
            withKey(key) { keyPointer, keyCount in
                countersign_produce(
                    handle,
                    topic,
                    partition ?? RD_KAFKA_PARTITION_UA,
                    valueBytes.baseAddress,
                    valueBytes.count,
                    keyPointer,
                    keyCount,
                    list
                )
            }
        }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR, let list { rd_kafka_headers_destroy(list) }
        return result
    }

    private func withKey<T>(_ key: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> T) -> T {
        guard let key else { return body(nil, 0) }
        return key.withUnsafeBytes { body($0.baseAddress, $0.count) }
    }
}

/// A librdkafka handle handed to the blocking queue. librdkafka's poll and
/// flush are thread-safe; the owning object outlives every such call because
/// the caller awaits it.
struct UncheckedHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// Counts what librdkafka's delivery callback reports, from its threads.
final class DeliveryReports: Sendable {
    private let state = Mutex(KafkaProducer.Deliveries())

    func record(_ error: rd_kafka_resp_err_t) {
        state.withLock { deliveries in
            if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                deliveries.delivered += 1
            } else {
                deliveries.failed += 1
                deliveries.lastError = String(cString: rd_kafka_err2name(error))
            }
        }
    }

    var snapshot: KafkaProducer.Deliveries { state.withLock { $0 } }
}
