import AuditDecoder
import AuditEvent
import Kafka
import Logging
import Pipeline
import ServiceLifecycle
import Synchronization
import Telemetry

/// The worker's spine: consumes the audit topics, decodes each message, sends
/// what does not decode to the dead-letter topic, hands the rest to every
/// sink, and commits only offsets that every sink acknowledged.
///
/// At-least-once: a crash or a rebalance re-delivers the uncommitted tail,
/// and sinks de-duplicate on event_id. Backpressure: while a sink fails, the
/// assigned partitions are paused (librdkafka stops fetching) and the batch
/// is offered again with growing back-off; polling continues so the worker
/// stays in its group. Graceful shutdown finishes the batch in hand,
/// commits, and leaves the group.
public final class KafkaSourceService: Service, @unchecked Sendable {
    public let configuration: SourceConfiguration
    public let sinks: [any Sink]
    private let logger: Logger
    private let statisticsBox = StatisticsBox()

    let metrics: PipelineMetrics?
    /// The running consumer, for readiness probes.
    private let consumerBox = Mutex<KafkaConsumer?>(nil)

    public init(configuration: SourceConfiguration, sinks: [any Sink], logger: Logger, metrics: PipelineMetrics? = nil)
    {
        precondition(!sinks.isEmpty, "a pipeline needs at least one sink")
        self.configuration = configuration
        self.sinks = sinks
        self.logger = logger
        self.metrics = metrics
    }

    /// Ready when a broker answers and no sink or ledger write is failing;
    /// otherwise the reasons.
    public func readiness() async -> (ready: Bool, reasons: [String]) {
        var reasons: [String] = []
        if let consumer = consumerBox.withLock({ $0 }) {
            if !(await consumer.brokerReachable()) { reasons.append("no Kafka broker answers") }
        } else {
            reasons.append("the consumer has not started")
        }
        if statistics.writesFailing { reasons.append("a sink or the ledger is failing its writes") }
        return (reasons.isEmpty, reasons)
    }

    public var statistics: SourceStatistics { statisticsBox.snapshot }

    public func run() async throws {
        metrics?.prepare(sinks: sinks.map(\.name))
        var detection: DetectionStage?
        if let settings = configuration.detection {
            let store = try configuration.stateDirectory.map { try SnapshotStore(directory: $0) }
            detection = DetectionStage(settings: settings, store: store)
        }
        var startingOffset: (@Sendable (TopicPartition) -> Int64?)?
        if let stage = detection { startingOffset = { stage.startingOffset($0) } }
        let consumer = try KafkaConsumer(
            properties: configuration.kafka,
            topics: configuration.topics,
            startingOffset: startingOffset
        )
        consumerBox.withLock { $0 = consumer }
        defer { consumerBox.withLock { $0 = nil } }
        let deadLetters = try KafkaProducer(properties: configuration.producerProperties)
        let ledger = try configuration.ledger.map { try LedgerStage(configuration: $0) }
        var loop = SourceLoop(
            configuration: configuration,
            sinks: sinks,
            consumer: consumer,
            deadLetters: deadLetters,
            decoder: try AuditEventDecoder(limits: configuration.decoderLimits),
            detection: detection,
            ledger: ledger,
            metrics: metrics,
            statistics: statisticsBox,
            logger: logger
        )
        logger.info("source started", metadata: ["topics": "\(configuration.topics)"])
        var abandoned = false
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await loop.step()
            } catch is SourceLoop.Abandoned {
                abandoned = true
                logger.warning(
                    "shutdown: a batch the sinks or the ledger did not take in time stays uncommitted",
                    metadata: [
                        "bound_seconds": "\(configuration.shutdownTimeout.components.seconds)",
                        "hint": "the batch is read again at the next start",
                    ]
                )
            }
        }
        // A batch fetched ahead is never delivered: its offsets are not
        // committed, so the next owner of those partitions reads it again.
        try? await loop.settlePrefetch()
        // The engines saw an abandoned batch that no sink took: their
        // snapshot would skip it at the next start, so the last good one stays.
        try await loop.commit(force: true, snapshot: !abandoned)
        do {
            try await ledger?.checkpointIfDue(force: true)
        } catch {
            // The entries are durable; the next start signs them.
            logger.warning("ledger checkpoint not written at shutdown", metadata: ["error": "\(error)"])
        }
        try await consumer.close()
        logger.info("source stopped", metadata: ["statistics": "\(statistics)"])
    }
}
