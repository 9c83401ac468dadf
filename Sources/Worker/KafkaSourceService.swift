import AuditDecoder
import AuditEvent
import Kafka
import Logging
import Pipeline
import ServiceLifecycle

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

    public init(configuration: SourceConfiguration, sinks: [any Sink], logger: Logger) {
        precondition(!sinks.isEmpty, "a pipeline needs at least one sink")
        self.configuration = configuration
        self.sinks = sinks
        self.logger = logger
    }

    public var statistics: SourceStatistics { statisticsBox.snapshot }

    public func run() async throws {
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
            statistics: statisticsBox,
            logger: logger
        )
        logger.info("source started", metadata: ["topics": "\(configuration.topics)"])
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try await loop.step()
        }
        // A batch fetched ahead is never delivered: its offsets are not
        // committed, so the next owner of those partitions reads it again.
        try? await loop.settlePrefetch()
        try await loop.commit(force: true)
        try await ledger?.checkpointIfDue(force: true)
        try await consumer.close()
        logger.info("source stopped", metadata: ["statistics": "\(statistics)"])
    }
}
