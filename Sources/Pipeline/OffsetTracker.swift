/// Decides which Kafka offsets may be committed: for each partition, the
/// offset after the longest prefix of consumed messages that every required
/// sink has acknowledged. Sinks may acknowledge in any order; the commit
/// point only moves over a contiguous run of fully acknowledged messages, so
/// a crash re-delivers exactly the uncommitted tail, never less.
///
/// A value with no I/O, driven by the pipeline, generic over the partition
/// key (the worker uses the Kafka client's own). Bounded: each partition holds
/// at most `maxInFlight` unacknowledged messages; when full, ``consumed(_:offset:)``
/// refuses the message and the caller must pause that partition until
/// acknowledgements free room (policy: block the source, never drop).
public struct OffsetTracker<Partition: Hashable & Sendable>: Sendable {
    /// Why a consumed offset was refused.
    public enum Refusal: Error, Sendable, Hashable {
        /// `maxInFlight` messages of the partition await acknowledgement: pause it.
        case full
        /// Offsets must increase within a partition (a rewind needs ``reset(_:)`` first).
        case notIncreasing
    }

    private struct InFlight: Sendable {
        var offset: Int64
        var acknowledgedBy: UInt64
    }

    private struct State: Sendable {
        var pending: [InFlight] = []
        var head = 0
        /// The next offset to commit, once it moved past what was last taken.
        var committable: Int64?
        var lastCommitted: Int64?

        var count: Int { pending.count - head }
    }

    public let requiredSinks: Int
    public let maxInFlight: Int
    private let allAcknowledged: UInt64
    private var partitions: [Partition: State] = [:]

    /// `requiredSinks` sinks (1 to 64) must acknowledge every message.
    public init(requiredSinks: Int, maxInFlight: Int) {
        precondition((1...64).contains(requiredSinks), "1 to 64 required sinks")
        precondition(maxInFlight > 0, "room for at least one message per partition")
        self.requiredSinks = requiredSinks
        self.maxInFlight = maxInFlight
        allAcknowledged = requiredSinks == 64 ? .max : (1 << UInt64(requiredSinks)) - 1
    }

    /// Records a consumed message. Throws ``Refusal/full`` when the partition
    /// already holds `maxInFlight` unacknowledged messages.
    public mutating func consumed(_ partition: Partition, offset: Int64) throws(Refusal) {
        // Mutate in place: a copy taken out of the dictionary would share the
        // array and copy all of it on the first write.
        try Self.append(offset, to: &partitions[partition, default: State()], limit: maxInFlight)
    }

    /// Records a run of consumed messages, `first` to `last` (offsets in
    /// between may be missing: compacted away, transaction markers), that
    /// are acknowledged together: one entry, acknowledged by `last`.
    public mutating func consumed(_ partition: Partition, first: Int64, last: Int64) throws(Refusal) {
        precondition(first <= last, "a run goes forward")
        try Self.append(first, recording: last, to: &partitions[partition, default: State()], limit: maxInFlight)
    }

    private static func append(
        _ offset: Int64,
        recording recorded: Int64? = nil,
        to state: inout State,
        limit: Int
    ) throws(Refusal) {
        if state.count >= limit { throw .full }
        if let last = state.pending.last, state.count > 0, offset <= last.offset { throw .notIncreasing }
        if let committed = state.lastCommitted, offset < committed { throw .notIncreasing }
        state.pending.append(InFlight(offset: recorded ?? offset, acknowledgedBy: 0))
    }

    /// Sink number `sink` (0-based) acknowledges a message. Acknowledging an
    /// offset that is not in flight (already committed, or revoked) is ignored.
    public mutating func acknowledged(_ partition: Partition, offset: Int64, sink: Int) {
        precondition((0..<requiredSinks).contains(sink), "sink \(sink) is not one of the required sinks")
        mark(partition, offset: offset, with: 1 << UInt64(sink))
    }

    /// Every required sink is done with a message at once (for example a
    /// message delivered to the dead-letter topic instead of the sinks).
    public mutating func acknowledgedByAll(_ partition: Partition, offset: Int64) {
        mark(partition, offset: offset, with: allAcknowledged)
    }

    /// The next offset to commit for each partition whose commit point moved
    /// since the last call (Kafka commits the offset of the next message to read).
    public mutating func takeCommittable() -> [Partition: Int64] {
        var result: [Partition: Int64] = [:]
        for (partition, state) in partitions {
            guard let offset = state.committable else { continue }
            result[partition] = offset
            partitions[partition]!.committable = nil
            partitions[partition]!.lastCommitted = offset
        }
        return result
    }

    /// Unacknowledged messages of a partition.
    public func inFlight(_ partition: Partition) -> Int {
        partitions[partition]?.count ?? 0
    }

    /// Unacknowledged messages over all partitions.
    public var totalInFlight: Int { partitions.values.reduce(0) { $0 + $1.count } }

    /// Forgets a partition (revoked in a rebalance, or rewound): its
    /// unacknowledged messages will be consumed again by whoever owns it next.
    public mutating func reset(_ partition: Partition) {
        partitions[partition] = nil
    }

    private mutating func mark(_ partition: Partition, offset: Int64, with bits: UInt64) {
        guard partitions[partition] != nil else { return }
        Self.mark(&partitions[partition]!, offset: offset, with: bits, complete: allAcknowledged)
    }

    private static func mark(_ state: inout State, offset: Int64, with bits: UInt64, complete: UInt64) {
        guard state.count > 0 else { return }
        // Offsets increase along `pending`: binary search for the message.
        var low = state.head
        var high = state.pending.count
        while low < high {
            let middle = (low + high) / 2
            if state.pending[middle].offset < offset { low = middle + 1 } else { high = middle }
        }
        guard low < state.pending.count, state.pending[low].offset == offset else { return }
        state.pending[low].acknowledgedBy |= bits
        // Advance over the fully acknowledged prefix.
        while state.head < state.pending.count, state.pending[state.head].acknowledgedBy == complete {
            state.committable = state.pending[state.head].offset + 1
            state.head += 1
        }
        // Compact once the consumed prefix outweighs what is still in flight.
        if state.head > 64, state.head * 2 > state.pending.count {
            state.pending.removeFirst(state.head)
            state.head = 0
        }
    }
}
