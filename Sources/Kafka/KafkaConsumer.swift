import Blocking
import CRdKafka
import Synchronization

/// Consumes topics in a consumer group. One instance owns one librdkafka
/// consumer handle and frees it in `deinit`.
///
/// Offsets are managed by the caller: auto-commit and auto offset-store are
/// off, and ``commit(_:)`` commits exactly what it is given (the pipeline
/// passes what every sink acknowledged). Polling, committing, pausing and
/// closing block inside librdkafka, so they run on a dedicated queue, never
/// on the cooperative pool.
public final class KafkaConsumer: @unchecked Sendable {
    /// One consumed message, its bytes copied out of librdkafka.
    public struct Message: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        public var key: [UInt8]?
        /// The payload; empty for a tombstone or an empty message.
        public var value: [UInt8]
        /// Producer or broker time, milliseconds since the epoch, when known.
        public var timestampMilliseconds: Int64?
    }

    /// A change of the partitions this consumer owns.
    public enum Rebalance: Sendable, Hashable {
        case assigned([TopicPartition])
        case revoked([TopicPartition])
    }

    /// Properties the consumer sets unless the pipeline file sets them:
    /// manual offsets; a prefetch large enough to avoid librdkafka 2.0.2's
    /// one-second stalls when the consumer is slower than the fetcher, yet
    /// bounded (128 MiB of queued messages); and a 10 s session instead of
    /// 45 s, so the partitions of a worker that died without leaving the
    /// group (SIGKILL, a lost host) move to the survivors sooner.
    public static let defaults: [String: String] = [
        "enable.auto.commit": "false",
        "enable.auto.offset.store": "false",
        "enable.partition.eof": "false",
        "auto.offset.reset": "earliest",
        "queued.min.messages": "100000",
        "queued.max.messages.kbytes": "131072",
        "session.timeout.ms": "10000",
        "heartbeat.interval.ms": "1000",
    ]

    private let handle: OpaquePointer
    private let queue: OpaquePointer
    private let state: ConsumerState
    private let blocking = BlockingQueue(label: "countersign.kafka.consumer")
    /// Commits, pauses and resumptions: librdkafka takes them from any
    /// thread, and they must not wait behind a poll (up to its timeout).
    private let control = BlockingQueue(label: "countersign.kafka.consumer.control")

    /// `properties` must name `bootstrap.servers` and `group.id`.
    ///
    /// `startingOffset`, asked on librdkafka's thread when partitions are
    /// assigned, may name where to start reading a partition instead of the
    /// group's committed offset: the detection stage starts where its state
    /// snapshot was taken, which may be behind the last commit.
    ///
    /// `startingTime` (milliseconds since the epoch), for partitions
    /// `startingOffset` leaves alone: start at the first message whose
    /// Kafka timestamp is at or after it (librdkafka's offsets-for-times); a
    /// broker that cannot tell leaves the partition at its usual start.
    ///
    /// `beforeRevoke`, called on librdkafka's thread when partitions are
    /// being revoked and before they are given up, may save what belongs to
    /// them (the detection state), within the group's rebalance time budget.
    public init(
        properties: KafkaProperties,
        topics: [String],
        startingOffset: (@Sendable (TopicPartition) -> Int64?)? = nil,
        startingTime: Int64? = nil,
        beforeRevoke: (@Sendable ([TopicPartition]) -> Void)? = nil
    ) throws(KafkaError) {
        guard properties["group.id"] != nil else {
            throw KafkaError(code: "configuration", reason: "a consumer needs 'group.id'")
        }
        guard !topics.isEmpty else { throw KafkaError(code: "configuration", reason: "no topic to consume") }
        var merged = properties
        for (key, value) in Self.defaults where merged[key] == nil { merged[key] = value }
        let state = ConsumerState(
            startingOffset: startingOffset,
            startingTime: startingTime,
            beforeRevoke: beforeRevoke
        )
        let handle = try merged.makeClient(RD_KAFKA_CONSUMER, role: "consumer") { configuration in
            rd_kafka_conf_set_opaque(configuration, Unmanaged.passUnretained(state).toOpaque())
            rd_kafka_conf_set_rebalance_cb(configuration) { handle, error, partitions, opaque in
                guard let handle, let partitions, let opaque else { return }
                Unmanaged<ConsumerState>.fromOpaque(opaque).takeUnretainedValue()
                    .rebalance(handle, error, partitions)
            }
        }
        rd_kafka_poll_set_consumer(handle)
        let list = PartitionList.make(topics.map { (TopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA), nil) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let result = rd_kafka_subscribe(handle, list)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let queue = rd_kafka_queue_get_consumer(handle) else {
            rd_kafka_destroy(handle)
            throw KafkaError(result, while: "subscribing to \(topics.joined(separator: ", "))")
        }
        self.handle = handle
        self.queue = queue
        self.state = state
    }

    deinit {
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(handle)
    }

    /// Up to `maxMessages` messages, waiting at most `timeoutMilliseconds`
    /// for the first. Errors that librdkafka recovers from by itself (a
    /// broker reconnecting) are skipped; a fatal error throws.
    public func poll(maxMessages: Int = 1_000, timeoutMilliseconds: Int32 = 100) async throws(KafkaError) -> [Message] {
        let queue = UncheckedHandle(pointer: self.queue)
        let handle = UncheckedHandle(pointer: self.handle)
        let result: Result<[Message], KafkaError> = await blocking.run {
            var pointers = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: maxMessages)
            let count = rd_kafka_consume_batch_queue(queue.pointer, Int32(timeoutMilliseconds), &pointers, maxMessages)
            if count < 0 {
                return .failure(KafkaError(rd_kafka_last_error(), while: "polling"))
            }
            var messages: [Message] = []
            messages.reserveCapacity(count)
            var fatal: KafkaError?
            for pointer in pointers.prefix(count) {
                guard let pointer else { continue }
                defer { rd_kafka_message_destroy(pointer) }
                let message = pointer.pointee
                if message.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    if message.err == RD_KAFKA_RESP_ERR__FATAL {
                        var text = [CChar](repeating: 0, count: 512)
                        let code = rd_kafka_fatal_error(handle.pointer, &text, text.count)
                        fatal = KafkaError(code, while: "consuming (fatal)")
                    }
                    continue
                }
                var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
                let timestamp = rd_kafka_message_timestamp(pointer, &timestampType)
                messages.append(
                    Message(
                        topic: String(cString: rd_kafka_topic_name(message.rkt)),
                        partition: message.partition,
                        offset: message.offset,
                        key: message.key.map { Array(UnsafeRawBufferPointer(start: $0, count: message.key_len)) },
                        value: message.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: message.len)) }
                            ?? [],
                        timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
                    )
                )
            }
            if let fatal { return .failure(fatal) }
            return .success(messages)
        }
        return try result.get()
    }

    /// Commits, synchronously, the next offset to read for each partition.
    public func commit(_ offsets: [TopicPartition: Int64]) async throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let handle = UncheckedHandle(pointer: self.handle)
        let entries = offsets.sorted { $0.key < $1.key }.map { ($0.key, Optional($0.value)) }
        let result = await control.run {
            let list = PartitionList.make(entries)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return rd_kafka_commit(handle.pointer, list, 0)
        }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(result, while: "committing offsets") }
    }

    /// The committed offsets of the group for these partitions (nil when none).
    public func committed(_ partitions: [TopicPartition]) async throws(KafkaError) -> [TopicPartition: Int64?] {
        let handle = UncheckedHandle(pointer: self.handle)
        let result: Result<[TopicPartition: Int64], KafkaError> = await blocking.run {
            let list = PartitionList.make(partitions.map { ($0, nil) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return ConsumerState.readCommitted(handle.pointer, list)
        }
        let found = try result.get()
        return Dictionary(partitions.map { ($0, found[$0]) }, uniquingKeysWith: { first, _ in first })
    }

    /// The first offset whose message timestamp is at or after `time` (ms)
    /// per partition, where the broker can say (offsets-for-times); others
    /// are left out.
    public func offsets(atTime time: Int64, of partitions: [TopicPartition]) async -> [TopicPartition: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let handle = UncheckedHandle(pointer: self.handle)
        return await blocking.run {
            let list = PartitionList.make(partitions.map { ($0, nil) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return ConsumerState.offsets(handle.pointer, list, at: time)
        }
    }

    /// The low and high watermark (the offset after the last message) of a partition, from the broker.
    public func watermarks(_ partition: TopicPartition) async throws(KafkaError) -> (low: Int64, high: Int64) {
        let handle = UncheckedHandle(pointer: self.handle)
        let result: Result<(Int64, Int64), KafkaError> = await blocking.run {
            var low: Int64 = 0
            var high: Int64 = 0
            let error = rd_kafka_query_watermark_offsets(
                handle.pointer,
                partition.topic,
                partition.partition,
                &low,
                &high,
                10_000
            )
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                return .failure(KafkaError(error, while: "querying the watermarks of \(partition)"))
            }
            return .success((low, high))
        }
        return try result.get()
    }

    /// The watermarks librdkafka last saw in fetch responses: no broker
    /// round trip, so cheap enough for a lag gauge after every batch
    /// (librdkafka's calls are thread-safe; this one never blocks).
    public func cachedWatermarks(_ partition: TopicPartition) -> (low: Int64, high: Int64)? {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_get_watermark_offsets(handle, partition.topic, partition.partition, &low, &high)
        return error == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 ? (low, high) : nil
    }

    /// Whether a broker answers a metadata request (brokers only, no topics) in time.
    public func brokerReachable(timeoutMilliseconds: Int32 = 2_000) async -> Bool {
        let handle = UncheckedHandle(pointer: self.handle)
        return await blocking.run {
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(handle.pointer, 0, nil, &metadata, timeoutMilliseconds)
            if let metadata { rd_kafka_metadata_destroy(metadata) }
            return error == RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    /// Stops fetching these partitions (backpressure) until ``resume(_:)``.
    public func pause(_ partitions: [TopicPartition]) async throws(KafkaError) {
        try await setPaused(partitions, paused: true)
    }

    public func resume(_ partitions: [TopicPartition]) async throws(KafkaError) {
        try await setPaused(partitions, paused: false)
    }

    /// Rebalances since the last call, oldest first.
    public func takeRebalances() -> [Rebalance] { state.takeRebalances() }

    /// For a partition whose reading started before the group's commit (at
    /// a detection snapshot), that committed offset: messages before it were
    /// handled in full already (sinks, dead letters, alerts) and are read
    /// again only to rebuild state. Nil otherwise.
    /// Where reading `partition` was set to start at its assignment
    /// (`startingOffset` or `startingTime`), or nil for the usual start.
    public func startedAt(_ partition: TopicPartition) -> Int64? { state.startedAt(partition) }

    public func committedAtAssignment(_ partition: TopicPartition) -> Int64? {
        state.committedAtAssignment(partition)
    }

    /// The partitions currently assigned to this consumer.
    public var assignment: Set<TopicPartition> { state.assignment }

    /// Leaves the group (its partitions move to the other members) and stops fetching.
    public func close() async throws(KafkaError) {
        let handle = UncheckedHandle(pointer: self.handle)
        let result = await blocking.run { rd_kafka_consumer_close(handle.pointer) }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(result, while: "closing the consumer") }
    }

    private func setPaused(_ partitions: [TopicPartition], paused: Bool) async throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let handle = UncheckedHandle(pointer: self.handle)
        let result = await control.run {
            let list = PartitionList.make(partitions.map { ($0, nil) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return paused
                ? rd_kafka_pause_partitions(handle.pointer, list) : rd_kafka_resume_partitions(handle.pointer, list)
        }
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(result, while: paused ? "pausing partitions" : "resuming partitions")
        }
    }
}
