import AuditDecoder
import AuditEvent
import Blocking
import Detection
import Kafka
import Ledger
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
    let policies: [SinkPolicy]?
    private let logger: Logger

    let metrics: PipelineMetrics?
    /// The one set of counts: the run summary, readiness and /metrics.
    private let books: Books
    /// The running consumer, for readiness probes.
    private let consumerBox = Mutex<KafkaConsumer?>(nil)
    /// The detection state store once opened, for its readiness probe.
    private let stateStoreBox = Mutex<(any DetectionStateStore)?>(nil)
    /// Where its probes run, off the cooperative pool.
    private let stateProbes = BlockingQueue(label: "countersign.detection.probe")

    /// `policies` say, sink by sink, whether its acknowledgement gates
    /// commits and what a full queue does (default: required, block).
    public init(
        configuration: SourceConfiguration,
        sinks: [any Sink],
        policies: [SinkPolicy]? = nil,
        logger: Logger,
        metrics: PipelineMetrics? = nil
    ) {
        precondition(!sinks.isEmpty, "a pipeline needs at least one sink")
        precondition(policies == nil || policies!.count == sinks.count, "one policy per sink")
        self.configuration = configuration
        self.sinks = sinks
        self.policies = policies
        self.logger = logger
        self.metrics = metrics
        books = Books(metrics: metrics)
    }

    /// Ready when the broker answers, every sink and the ledger passed
    /// their probes and none is failing its writes; otherwise each failing
    /// part by name and why. Answers at once from cached results (the
    /// ``ReadinessMonitor`` keeps them current).
    public func readiness() -> (ready: Bool, reasons: [String]) { books.health.readiness }

    /// What the readiness monitor checks: the broker (every few seconds),
    /// every sink (a connection, a handshake) and the ledger's directory.
    public var readinessParts: [ReadinessMonitor.Part] {
        let servers = configuration.kafka["bootstrap.servers"] ?? ""
        var parts = [
            ReadinessMonitor.Part(name: "kafka", always: true) { [self] in
                guard let consumer = consumerBox.withLock({ $0 }) else {
                    throw ReadinessError("the consumer has not started")
                }
                guard await consumer.brokerReachable(timeoutMilliseconds: 1_000) else {
                    throw ReadinessError("no broker of \(servers) answers")
                }
            }
        ]
        for sink in sinks { parts.append(ReadinessMonitor.Part(name: sink.name) { try await sink.probe() }) }
        if configuration.detection != nil, configuration.stateStore != nil {
            // Unreachable at an assignment, a partition would start without
            // its state: an operator should see that before a rollout goes on.
            parts.append(
                ReadinessMonitor.Part(name: "detection state") { [self] in
                    guard let store = stateStoreBox.withLock({ $0 }) else {
                        throw ReadinessError("the detection state store has not been opened")
                    }
                    let outcome = await stateProbes.run {
                        Result { () throws(DetectionStateError) in _ = try store.load(topic: "", partition: -1) }
                    }
                    if case .failure(let error) = outcome { throw ReadinessError(error.description) }
                }
            )
        }
        if let ledger = configuration.ledger {
            let storage = ledger.storage
            parts.append(
                ReadinessMonitor.Part(name: "ledger") {
                    if let directory = storage as? DirectoryStorage {
                        try ReadinessMonitor.writableDirectory(directory.root)
                    } else {
                        // Reaching the bucket with these credentials: one small listing.
                        _ = try storage.list(prefix: "registry/", startAfter: nil, limit: 1)
                    }
                }
            )
        }
        return parts
    }

    /// What is failing now (shared with the monitor).
    public var health: Health { books.health }

    public var statistics: SourceStatistics { books.snapshot }

    public func run() async throws {
        metrics?.prepare(sinks: sinks.map(\.name))
        var detection: DetectionStage?
        if let settings = configuration.detection {
            let store = try configuration.stateStore?.make()
            stateStoreBox.withLock { $0 = store }
            var onState: (@Sendable (DetectionStage.StateOutcome) -> Void)?
            if let metrics, store != nil {
                onState = { outcome in
                    switch outcome {
                    case .saved(let when, let ok): metrics.detectionStateSaved(when: when, ok: ok)
                    case .restored(let result): metrics.detectionStateRestored(result)
                    }
                }
            }
            let stage = DetectionStage(settings: settings, store: store, logger: logger, onState: onState)
            detection = stage
        }
        var startingOffset: (@Sendable (TopicPartition) -> Int64?)?
        var beforeRevoke: (@Sendable ([TopicPartition]) -> Void)?
        if let stage = detection {
            startingOffset = { stage.startingOffset($0) }
            if stage.store != nil { beforeRevoke = { stage.saveRevoked($0) } }
        }
        let consumer = try KafkaConsumer(
            properties: configuration.kafka,
            topics: configuration.topics,
            startingOffset: startingOffset,
            beforeRevoke: beforeRevoke
        )
        consumerBox.withLock { $0 = consumer }
        defer { consumerBox.withLock { $0 = nil } }
        let producer = try KafkaProducer(properties: configuration.producerProperties)
        let ledger = try configuration.ledger.map { try LedgerStage(configuration: $0) }
        let deadLetters = DeadLetterSink(
            output: TopicOutput(topic: configuration.deadLetterTopic, producer: producer, books: books, logger: logger)
        )
        // The topics are sinks like the others, required and blocking; the
        // pipeline file's sinks follow with their own policies.
        var topics: [any Sink] = [deadLetters]
        if let topic = configuration.alertsTopic {
            topics.append(
                AlertsTopicSink(output: TopicOutput(topic: topic, producer: producer, books: books, logger: logger))
            )
        }
        var policies =
            topics.map { SinkPolicy(name: $0.name) } + (self.policies ?? sinks.map { SinkPolicy(name: $0.name) })
        for index in policies.indices { policies[index].capacity = configuration.maxBatchesInFlight }
        let driver = DeliveryDriver(
            configuration: configuration,
            consumer: consumer,
            source: try SourceStage(
                configuration: configuration,
                consumer: consumer,
                detection: detection,
                ledger: ledger,
                books: books,
                logger: logger
            ),
            sinks: topics + sinks,
            policies: policies,
            deadLetters: deadLetters,
            detection: detection,
            books: books,
            logger: logger
        )
        logger.info("source started", metadata: ["topics": "\(configuration.topics.joined(separator: ","))"])
        let abandoned = try await driver.run()
        if abandoned {
            logger.warning(
                "shutdown: a batch the sinks or the ledger did not take in time stays uncommitted",
                metadata: [
                    "bound_seconds": "\(configuration.shutdownTimeout.components.seconds)",
                    "hint": "the batch is read again at the next start",
                ]
            )
        }
        do {
            try await ledger?.checkpointIfDue(force: true)
        } catch {
            // The entries are durable; the next start signs them.
            logger.warning("ledger checkpoint not written at shutdown", metadata: ["error": "\(error)"])
        }
        try await consumer.close()
        logger.info("source stopped", metadata: statistics.fields)
    }
}
