import CRdKafka
import Synchronization

extension ConsumerState {
    /// The group's committed offsets for the partitions of `list` (those
    /// with one), asked of the coordinator; blocks up to 10 s. `list`'s
    /// offsets are overwritten.
    static func readCommitted(
        _ handle: OpaquePointer,
        _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) -> Result<[TopicPartition: Int64], KafkaError> {
        let error = rd_kafka_committed(handle, list, 10_000)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            return .failure(KafkaError(error, while: "reading committed offsets"))
        }
        var offsets: [TopicPartition: Int64] = [:]
        for index in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[index]
            guard element.offset >= 0 else { continue }
            offsets[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] =
                element.offset
        }
        return .success(offsets)
    }

    /// The same from inside the rebalance callback, on a copy of the list
    /// being assigned; empty if the coordinator does not answer in time.
    static func committed(
        _ handle: OpaquePointer,
        _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) -> [TopicPartition: Int64] {
        guard let copy = rd_kafka_topic_partition_list_copy(list) else { return [:] }
        defer { rd_kafka_topic_partition_list_destroy(copy) }
        return (try? readCommitted(handle, copy).get()) ?? [:]
    }
}

/// What the rebalance callback learns, on librdkafka's polling thread, for
/// the pipeline to read on its own.
final class ConsumerState: Sendable {
    private struct Fields {
        var assignment: Set<TopicPartition> = []
        var rebalances: [KafkaConsumer.Rebalance] = []
        /// The group's committed offset at assignment, for partitions whose
        /// reading starts earlier (at a detection snapshot).
        var committedAtAssignment: [TopicPartition: Int64] = [:]
        /// Where reading was set to start at assignment, when set explicitly.
        var startedAt: [TopicPartition: Int64] = [:]
    }

    private let fields = Mutex(Fields())
    private let startingOffset: (@Sendable (TopicPartition) -> Int64?)?
    private let startingTime: Int64?
    private let beforeRevoke: (@Sendable ([TopicPartition]) -> Void)?

    init(
        startingOffset: (@Sendable (TopicPartition) -> Int64?)?,
        startingTime: Int64? = nil,
        beforeRevoke: (@Sendable ([TopicPartition]) -> Void)? = nil
    ) {
        self.startingOffset = startingOffset
        self.startingTime = startingTime
        self.beforeRevoke = beforeRevoke
    }

    var assignment: Set<TopicPartition> { fields.withLock { $0.assignment } }

    func committedAtAssignment(_ partition: TopicPartition) -> Int64? {
        fields.withLock { $0.committedAtAssignment[partition] }
    }

    func startedAt(_ partition: TopicPartition) -> Int64? {
        fields.withLock { $0.startedAt[partition] }
    }

    func takeRebalances() -> [KafkaConsumer.Rebalance] {
        fields.withLock { fields in
            defer { fields.rebalances = [] }
            return fields.rebalances
        }
    }

    /// The first offset at or after `time` (ms) per partition of `list`, where
    /// the broker knows one; a partition it cannot answer for is left out.
    static func offsets(
        _ handle: OpaquePointer,
        _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>,
        at time: Int64
    ) -> [TopicPartition: Int64] {
        guard let query = rd_kafka_topic_partition_list_copy(list) else { return [:] }
        defer { rd_kafka_topic_partition_list_destroy(query) }
        for index in 0..<Int(query.pointee.cnt) { query.pointee.elems[index].offset = time }
        guard rd_kafka_offsets_for_times(handle, query, 10_000) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var result: [TopicPartition: Int64] = [:]
        for index in 0..<Int(query.pointee.cnt) {
            let element = query.pointee.elems[index]
            guard element.err == RD_KAFKA_RESP_ERR_NO_ERROR, element.offset >= 0 else { continue }
            result[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] = element.offset
        }
        return result
    }

    /// Applies a rebalance (eager or cooperative) and records it.
    func rebalance(
        _ handle: OpaquePointer,
        _ error: rd_kafka_resp_err_t,
        _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) {
        let partitions = PartitionList.read(list)
        // NULL when the consumer is not (or no longer) a group member, e.g. a
        // revocation while closing: treat it as the eager protocol.
        let protocolName: UnsafePointer<CChar>? = rd_kafka_rebalance_protocol(handle)
        let cooperative = protocolName.map { String(cString: $0) } == "COOPERATIVE"
        if error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            var committedOffsets: [TopicPartition: Int64] = [:]
            if let startingOffset {
                let committed = Self.committed(handle, list)
                for index in 0..<Int(list.pointee.cnt) {
                    let element = list.pointee.elems[index]
                    let partition = TopicPartition(topic: String(cString: element.topic), partition: element.partition)
                    guard let offset = startingOffset(partition) else { continue }
                    // Start at the earlier of the snapshot and the commit:
                    // before the commit, messages only warm the state up;
                    // after it, they still need their sinks.
                    if let done = committed[partition] {
                        committedOffsets[partition] = done
                        list.pointee.elems[index].offset = min(offset, done)
                    } else {
                        list.pointee.elems[index].offset = offset
                    }
                }
            }
            if let startingTime {
                let found = Self.offsets(handle, list, at: startingTime)
                for index in 0..<Int(list.pointee.cnt) where list.pointee.elems[index].offset == RD_KAFKA_OFFSET_INVALID
                {
                    let element = list.pointee.elems[index]
                    let partition = TopicPartition(topic: String(cString: element.topic), partition: element.partition)
                    if let offset = found[partition] { list.pointee.elems[index].offset = offset }
                }
            }
            var explicit: [TopicPartition: Int64] = [:]
            for index in 0..<Int(list.pointee.cnt) where list.pointee.elems[index].offset >= 0 {
                let element = list.pointee.elems[index]
                explicit[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] =
                    element.offset
            }
            if cooperative {
                if let failure = rd_kafka_incremental_assign(handle, list) { rd_kafka_error_destroy(failure) }
            } else {
                rd_kafka_assign(handle, list)
            }
            fields.withLock { fields in
                fields.startedAt.merge(explicit) { _, new in new }
                if !cooperative {
                    fields.assignment = []
                    fields.committedAtAssignment = [:]
                }
                fields.assignment.formUnion(partitions)
                fields.committedAtAssignment.merge(committedOffsets) { _, new in new }
                fields.rebalances.append(.assigned(partitions))
            }
        } else {
            // Still owned here: what belongs to the partitions is saved before
            // they go. Not when they were lost (the session expired): another
            // member may own them already.
            if rd_kafka_assignment_lost(handle) == 0 { beforeRevoke?(partitions) }
            if cooperative {
                if let failure = rd_kafka_incremental_unassign(handle, list) { rd_kafka_error_destroy(failure) }
            } else {
                rd_kafka_assign(handle, nil)
            }
            fields.withLock { fields in
                fields.assignment.subtract(partitions)
                for partition in partitions { fields.committedAtAssignment[partition] = nil }
                fields.rebalances.append(.revoked(partitions))
            }
        }
    }
}
