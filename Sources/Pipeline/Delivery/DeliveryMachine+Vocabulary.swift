/// The delivery machine's vocabulary: its settings, the events it takes and
/// the actions it returns.
extension DeliveryMachine {
    public struct Settings: Sendable {
        public var sinks: [SinkPolicy]
        /// Batches prepared and not yet done with by every sink, at most.
        public var maxBatchesInFlight: Int
        /// Unacknowledged messages of one partition before it is paused.
        public var maxInFlightPerPartition: Int
        public var commitInterval: Duration
        /// How often a detection snapshot is taken; nil takes none.
        public var snapshotInterval: Duration?
        /// First and longest wait before a failed write is tried again.
        public var backoff: ClosedRange<Duration>
        /// The longest a graceful shutdown may take; the batches in flight
        /// are given up at half of it.
        public var shutdownTimeout: Duration
        /// How long the source may wait for room before its partitions are
        /// paused (it then polls only to stay in its group).
        public var pauseAfter: Duration

        public init(
            sinks: [SinkPolicy],
            maxBatchesInFlight: Int = 4,
            maxInFlightPerPartition: Int = 100_000,
            commitInterval: Duration = .milliseconds(500),
            snapshotInterval: Duration? = nil,
            backoff: ClosedRange<Duration> = .milliseconds(100) ... .seconds(5),
            shutdownTimeout: Duration = .seconds(20),
            pauseAfter: Duration = .seconds(1)
        ) {
            precondition(!sinks.isEmpty && sinks.count <= 64, "1 to 64 sinks")
            precondition(maxBatchesInFlight > 0 && maxInFlightPerPartition > 0, "room for one batch")
            self.sinks = sinks
            self.maxBatchesInFlight = maxBatchesInFlight
            self.maxInFlightPerPartition = maxInFlightPerPartition
            self.commitInterval = commitInterval
            self.snapshotInterval = snapshotInterval
            self.backoff = backoff
            self.shutdownTimeout = shutdownTimeout
            self.pauseAfter = pauseAfter
        }
    }

    public typealias SinkPolicy = Pipeline.SinkPolicy

    public enum Event: Sendable {
        /// The source prepared a batch (decoded, mirrored, run through
        /// detection): the run of offsets it holds of each partition.
        case batchReady(BatchID, runs: [Partition: OffsetRun], at: Instant)
        /// The source used its permit without finding anything to hand over.
        case sourceIdle(at: Instant)
        /// Sink `sink` took the batches of one write (see ``Action/write(_:sink:)``).
        case sinkAcknowledged([BatchID], sink: Int, at: Instant)
        case sinkFailed([BatchID], sink: Int, at: Instant)
        /// An ordered stage (the ledger) failed and retries on its own;
        /// the source pauses meanwhile. `false`: it recovered.
        case stageFailing(Bool, at: Instant)
        case assigned([Partition], at: Instant)
        case revoked([Partition], at: Instant)
        case commitRefused([Partition: Int64], at: Instant)
        case snapshotSaved(at: Instant)
        case shutdownRequested(at: Instant)
        case tick(Instant)
    }

    public enum Action: Sendable, Equatable {
        /// The source may prepare and hand over one more batch.
        case admit
        /// Hand these batches to sink number `sink`, in one write: a sink
        /// that fell behind catches up with fewer, larger writes (one
        /// transaction for what queued while it wrote the last).
        case write([BatchID], sink: Int)
        /// Sink `sink` does not get batch `id` (its queue was full, or a
        /// best-effort write failed).
        case skip(BatchID, sink: Int)
        /// Every required sink acknowledged the batch: count it.
        case completed(BatchID)
        /// No sink needs the batch any more: free it.
        case release(BatchID)
        case pause([Partition])
        case resume([Partition])
        case commit([Partition: Int64])
        /// Forget what the revoked partitions left behind (held messages).
        case forget([Partition])
        /// Take a detection snapshot now: nothing is in flight.
        case saveSnapshot
        /// The shutdown is done; `abandoned` when batches were given up at the bound.
        case stop(abandoned: Bool)
    }
}

extension DeliveryMachine.Event {
    /// A batch given message by message (tests, and sources that have no runs at hand).
    public static func batchReady(
        _ id: DeliveryMachine.BatchID,
        messages: [(Partition, Int64)],
        at: DeliveryMachine.Instant
    ) -> Self {
        .batchReady(id, runs: OffsetRun.runs(messages), at: at)
    }
}
