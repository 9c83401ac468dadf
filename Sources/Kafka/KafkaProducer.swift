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
                Unmanaged<DeliveryReports>.fromOpaque(opaque).takeUnretainedValue()
                    .record(message.pointee.err, ticket: Int(bitPattern: message.pointee._private))
            }
        }
        self.reports = reports
    }

    deinit {
        rd_kafka_destroy(handle)
    }

    /// Delivery outcomes so far.
    public var deliveries: Deliveries { reports.snapshot }

    /// One message for ``deliver(_:to:)``.
    public struct Outgoing: Sendable {
        public var key: [UInt8]?
        public var value: [UInt8]
        public var headers: [(name: String, value: [UInt8])]

        public init(key: [UInt8]?, value: [UInt8], headers: [(name: String, value: [UInt8])] = []) {
            self.key = key
            self.value = value
            self.headers = headers
        }
    }

    /// Produces every message and waits until each is delivered or has
    /// failed; returns, per message, nil for delivered or why it failed
    /// (librdkafka's code: `MSG_SIZE_TOO_LARGE` when the producer or the
    /// broker refused its size, ...). Never throws for one message: what a
    /// message holds must not stop its caller.
    public func deliver(_ messages: [Outgoing], to topic: String) async -> [KafkaError?] {
        var outcomes = [KafkaError?](repeating: nil, count: messages.count)
        var tickets: [Int: Int] = [:]
        for (index, message) in messages.enumerated() {
            let ticket = reports.newTicket()
            let result = await enqueueWaiting(message, topic: topic, partition: nil, ticket: ticket)
            if result == RD_KAFKA_RESP_ERR_NO_ERROR {
                tickets[ticket] = index
            } else {
                _ = reports.take([ticket])
                outcomes[index] = KafkaError(result, while: "enqueueing a message for '\(topic)'")
            }
        }
        let handle = UncheckedHandle(pointer: self.handle)
        let flushed = await blocking.run { rd_kafka_flush(handle.pointer, 30_000) }
        let reported = reports.take(Array(tickets.keys))
        for (ticket, index) in tickets {
            if let error = reported[ticket] {
                if error != RD_KAFKA_RESP_ERR_NO_ERROR {
                    outcomes[index] = KafkaError(error, while: "delivering a message to '\(topic)'")
                }
            } else {
                outcomes[index] = KafkaError(flushed, while: "waiting for a delivery to '\(topic)'")
            }
        }
        return outcomes
    }

    /// Enqueues one message. `partition` nil lets the partitioner choose
    /// (by key when there is one).
    public func send(
        topic: String,
        key: [UInt8]? = nil,
        value: [UInt8],
        headers: [(name: String, value: [UInt8])] = [],
        partition: Int32? = nil
    ) async throws(KafkaError) {
        let message = Outgoing(key: key, value: value, headers: headers)
        let result = await enqueueWaiting(message, topic: topic, partition: partition, ticket: 0)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(result, while: "enqueueing a message for '\(topic)'")
        }
    }

    /// Enqueues, waiting while the local queue is full; librdkafka's result.
    private func enqueueWaiting(
        _ message: Outgoing,
        topic: String,
        partition: Int32?,
        ticket: Int
    ) async -> rd_kafka_resp_err_t {
        while true {
            let result = enqueue(message, topic: topic, partition: partition, ticket: ticket)
            if result == RD_KAFKA_RESP_ERR_NO_ERROR {
                rd_kafka_poll(handle, 0)  // serve delivery reports; never blocks
                return result
            }
            guard result == RD_KAFKA_RESP_ERR__QUEUE_FULL else { return result }
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

    private func enqueue(_ message: Outgoing, topic: String, partition: Int32?, ticket: Int) -> rd_kafka_resp_err_t {
        var list: OpaquePointer?
        if !message.headers.isEmpty {
            list = rd_kafka_headers_new(message.headers.count)
            for header in message.headers {
                _ = header.value.withUnsafeBytes { bytes in
                    rd_kafka_header_add(list, header.name, -1, bytes.baseAddress, bytes.count)
                }
            }
        }
        let result = message.value.withUnsafeBytes { valueBytes in
            withKey(message.key) { keyPointer, keyCount in
                countersign_produce(
                    handle,
                    topic,
                    partition ?? RD_KAFKA_PARTITION_UA,
                    valueBytes.baseAddress,
                    valueBytes.count,
                    keyPointer,
                    keyCount,
                    list,
                    UnsafeMutableRawPointer(bitPattern: ticket)
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

/// Counts what librdkafka's delivery callback reports, from its threads,
/// and keeps the outcome of each message sent with a ticket until
/// ``take(_:)`` collects it.
final class DeliveryReports: Sendable {
    private struct State {
        var deliveries = KafkaProducer.Deliveries()
        var nextTicket = 1
        /// Tickets handed out and not yet taken; a report for any other
        /// (one that came after its caller gave up waiting) is not kept, so
        /// the table holds at most what is in flight.
        var awaited: Set<Int> = []
        var outcomes: [Int: rd_kafka_resp_err_t] = [:]
    }

    private let state = Mutex(State())

    func record(_ error: rd_kafka_resp_err_t, ticket: Int) {
        state.withLock { state in
            if error == RD_KAFKA_RESP_ERR_NO_ERROR {
                state.deliveries.delivered += 1
            } else {
                state.deliveries.failed += 1
                state.deliveries.lastError = String(cString: rd_kafka_err2name(error))
            }
            if ticket != 0, state.awaited.contains(ticket) { state.outcomes[ticket] = error }
        }
    }

    func newTicket() -> Int {
        state.withLock { state in
            defer { state.nextTicket = state.nextTicket == Int.max ? 1 : state.nextTicket + 1 }
            state.awaited.insert(state.nextTicket)
            return state.nextTicket
        }
    }

    /// The outcomes reported for these tickets, removed from the table.
    func take(_ tickets: [Int]) -> [Int: rd_kafka_resp_err_t] {
        state.withLock { state in
            var taken: [Int: rd_kafka_resp_err_t] = [:]
            for ticket in tickets {
                state.awaited.remove(ticket)
                taken[ticket] = state.outcomes.removeValue(forKey: ticket)
            }
            return taken
        }
    }

    var snapshot: KafkaProducer.Deliveries { state.withLock { $0.deliveries } }
}
