import AuditDecoder
import AuditEvent
import Kafka
import Logging
import Pipeline
import ServiceLifecycle
import Telemetry

/// One consume, decode, deliver and commit cycle at a time; the state the
/// service's loop carries between cycles.
struct SourceLoop {
    let configuration: SourceConfiguration
    let sinks: [any Sink]
    let consumer: KafkaConsumer
    let deadLetters: KafkaProducer
    let decoder: AuditEventDecoder
    let detection: DetectionStage?
    let ledger: LedgerStage?
    let metrics: PipelineMetrics?
    let statistics: StatisticsBox
    let logger: Logger
    var tracker: OffsetTracker<TopicPartition>
    private var lastCommit = ContinuousClock.now
    private var lastGauges = ContinuousClock.now
    /// The next offset to consume per partition, for the lag gauge.
    private var positions: [TopicPartition: Int64] = [:]
    private var lastSnapshot = ContinuousClock.now
    /// Messages that arrived while waiting out a sink failure, kept for the
    /// next cycle (never dropped).
    var held: [KafkaConsumer.Message] = []
    /// The next batch, fetched while the current one is decoded and delivered
    /// so that copying out of librdkafka overlaps with decoding. At most one
    /// batch ahead: memory stays bounded by two batches.
    private var prefetch: Task<[KafkaConsumer.Message], any Error>?
    /// When this loop first saw the graceful shutdown, for its bound.
    private var shutdownSeenAt: ContinuousClock.Instant?

    /// A batch given up at shutdown: a sink or the ledger kept refusing it
    /// for half the shutdown bound. It stays uncommitted.
    struct Abandoned: Error {}

    init(
        configuration: SourceConfiguration,
        sinks: [any Sink],
        consumer: KafkaConsumer,
        deadLetters: KafkaProducer,
        decoder: AuditEventDecoder,
        detection: DetectionStage?,
        ledger: LedgerStage? = nil,
        metrics: PipelineMetrics? = nil,
        statistics: StatisticsBox,
        logger: Logger
    ) {
        self.configuration = configuration
        self.sinks = sinks
        self.consumer = consumer
        self.deadLetters = deadLetters
        self.decoder = decoder
        self.detection = detection
        self.ledger = ledger
        self.metrics = metrics
        self.statistics = statistics
        self.logger = logger
        tracker = OffsetTracker(requiredSinks: 1, maxInFlight: configuration.maxInFlightPerPartition)
    }

    mutating func step() async throws {
        let revoked = forgetRevokedPartitions()
        var messages: [KafkaConsumer.Message]
        if !held.isEmpty {
            messages = held
            held = []
        } else if let prefetch {
            messages = try await prefetch.value
            self.prefetch = nil
        } else {
            messages = try await poll(timeoutMilliseconds: 100)
        }
        if revoked {
            // Fetched before the revocation: the new owner reads them from
            // the last commit; delivering them here too would only duplicate.
            let owned = consumer.assignment
            messages.removeAll { !owned.contains(TopicPartition(topic: $0.topic, partition: $0.partition)) }
        }
        if let detection, !messages.isEmpty { messages = warmUp(detection, messages) }
        if !messages.isEmpty, !Task.isShuttingDownGracefully {
            let consumer = self.consumer
            let size = configuration.batchSize
            prefetch = Task { try await consumer.poll(maxMessages: size, timeoutMilliseconds: 100) }
        }
        if !messages.isEmpty {
            var events: [ConsumedEvent] = []
            events.reserveCapacity(messages.count)
            var dead: [DeadLetter] = []
            /// Which message each event came from, for its ledger index.
            var sources: [Int] = []
            for (position, message) in messages.enumerated() {
                // Decoding a batch takes tens of milliseconds on the shared
                // cooperative pool: let others (a /metrics scrape) in between.
                if position % 1_000 == 999 { await Task.yield() }
                track(message)
                do {
                    events.append(ConsumedEvent(try decoder.decode(message.value), from: message))
                    sources.append(position)
                } catch {
                    dead.append(DeadLetter(message: message, reason: error))
                }
            }
            statistics.update { $0.consumed += messages.count }
            if let metrics {
                var perPartition: [TopicPartition: Int] = [:]
                for message in messages {
                    let partition = TopicPartition(topic: message.topic, partition: message.partition)
                    perPartition[partition, default: 0] += 1
                    positions[partition] = max(positions[partition] ?? 0, message.offset + 1)
                }
                for (partition, count) in perPartition {
                    metrics.consumed(topic: partition.topic, partition: partition.partition, count: count)
                }
                metrics.events(events)
            }
            if ledger != nil {
                var ids = [String?](repeating: nil, count: messages.count)
                for (event, position) in zip(events, sources) { ids[position] = event.event.eventID }
                let leaves = try await mirror(messages, eventIDs: ids)
                for index in events.indices { events[index].ledgerIndex = leaves[sources[index]] }
            }
            if !dead.isEmpty { try await sendToDeadLetterTopic(dead) }
            if !events.isEmpty {
                await Task.yield()
                let alerts = detection?.process(events) ?? []
                if !alerts.isEmpty, let topic = configuration.alertsTopic {
                    try await produce(
                        alerts.map {
                            KafkaProducer.Outgoing(key: Array(($0.member ?? $0.key).utf8), value: $0.event.jsonBytes())
                        },
                        to: topic,
                        what: "alerts"
                    )
                }
                try await deliver(EventBatch(events: events, alerts: alerts))
                if let detection {
                    let late = detection.lateEvents
                    statistics.update {
                        $0.alerts += alerts.count
                        for alert in alerts { $0.alertsByDetector[alert.detector.rawValue, default: 0] += 1 }
                        $0.lateEvents = late
                    }
                    metrics?.alerts(alerts)
                    metrics?.lateEvents(total: late)
                }
            }
        }
        try await commit(force: false)
        if let ledger {
            do {
                try await ledger.checkpointIfDue()
            } catch {
                // Not fatal: the entries are durable; the next attempt signs them.
                logger.warning("ledger checkpoint not written", metadata: ["error": "\(error)"])
            }
        }
        updateGauges()
    }

    /// Messages before the group's commit, read again only because the
    /// partition's detection snapshot is older: they were stored, alerted on
    /// and dead-lettered already, so they go to detection alone (their
    /// alerts were delivered the first time and are dropped). The rest are returned.
    private mutating func warmUp(
        _ detection: DetectionStage,
        _ messages: [KafkaConsumer.Message]
    ) -> [KafkaConsumer.Message] {
        var rest: [KafkaConsumer.Message] = []
        var events: [ConsumedEvent] = []
        // Messages come in runs per partition: one look-up (and lock) per run.
        var current: (partition: Int32, topic: String, committed: Int64?)?
        for message in messages {
            if current == nil || current!.partition != message.partition || current!.topic != message.topic {
                let partition = TopicPartition(topic: message.topic, partition: message.partition)
                current = (message.partition, message.topic, consumer.committedAtAssignment(partition))
            }
            guard let committed = current?.committed, message.offset < committed else {
                rest.append(message)
                continue
            }
            if let event = try? decoder.decode(message.value) { events.append(ConsumedEvent(event, from: message)) }
        }
        guard rest.count < messages.count else { return messages }
        _ = detection.process(events)
        let count = messages.count - rest.count
        statistics.update { $0.replayedForState += count }
        return rest
    }

    /// Lag per partition, detection state and the ledger, once a second.
    private mutating func updateGauges() {
        guard let metrics, ContinuousClock.now - lastGauges >= .seconds(1) else { return }
        lastGauges = ContinuousClock.now
        for partition in consumer.assignment {
            guard let position = positions[partition], let marks = consumer.cachedWatermarks(partition) else {
                continue
            }
            metrics.lag(topic: partition.topic, partition: partition.partition, messages: marks.high - position)
        }
        if let detection {
            metrics.detection(
                keys: detection.trackedKeys,
                evictions: ["member": detection.evictedMembers, "member_tool": detection.evictedPairs]
            )
        }
        if let ledger { ledger.report(to: metrics) }
    }

    /// Waits for a batch fetched ahead, if any, and keeps it for the next
    /// cycle; called before pausing, committing at shutdown, or polling
    /// directly, so that no two polls run at once.
    mutating func settlePrefetch() async throws {
        guard let prefetch else { return }
        self.prefetch = nil
        held += try await prefetch.value
    }

    func poll(timeoutMilliseconds: Int32) async throws -> [KafkaConsumer.Message] {
        try await consumer.poll(maxMessages: configuration.batchSize, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Throws ``Abandoned`` once a graceful shutdown has waited half its
    /// bound: retrying a failing write stops there.
    mutating func giveUpIfShutdownIsDue() throws(Abandoned) {
        guard Task.isShuttingDownGracefully else { return }
        let now = ContinuousClock.now
        let seen = shutdownSeenAt ?? now
        shutdownSeenAt = seen
        if now - seen >= configuration.shutdownTimeout / 2 { throw Abandoned() }
    }

    /// Commits what every sink acknowledged, at most every commit interval
    /// unless forced. `snapshot` false skips the detection snapshot (after
    /// an abandoned batch, whose events the engines saw but no sink took).
    mutating func commit(force: Bool, snapshot: Bool = true) async throws {
        let now = ContinuousClock.now
        guard force || now - lastCommit >= .milliseconds(configuration.commitIntervalMilliseconds) else { return }
        lastCommit = now
        if let detection, snapshot, force || now - lastSnapshot >= .seconds(configuration.snapshotIntervalSeconds) {
            lastSnapshot = now
            do {
                try detection.save()
            } catch {
                // Not fatal: the last good snapshot stays, and a restart re-reads from its offset.
                logger.warning("detection snapshot not saved", metadata: ["error": "\(error)"])
            }
        }
        let offsets = tracker.takeCommittable()
        guard !offsets.isEmpty else { return }
        do {
            try await consumer.commit(offsets)
            statistics.update { $0.commits += 1 }
        } catch {
            // A rebalance in progress (stale generation, unknown member) makes
            // the group refuse commits. Nothing is lost: whoever owns a
            // partition next resumes from its last successful commit, and
            // re-delivered events are harmless (sinks de-duplicate on event_id).
            statistics.update { $0.commitFailures += 1 }
            logger.warning("offset commit refused; continuing", metadata: ["error": "\(error)"])
        }
    }

    /// Resets the tracker for revoked partitions; true when any were revoked.
    private mutating func forgetRevokedPartitions() -> Bool {
        var revoked = false
        for change in consumer.takeRebalances() {
            switch change {
            case .revoked(let partitions):
                revoked = true
                for partition in partitions {
                    tracker.reset(partition)
                    detection?.forget(partition)
                }
                logger.info("partitions revoked", metadata: ["partitions": "\(partitions)"])
            case .assigned(let partitions):
                logger.info("partitions assigned", metadata: ["partitions": "\(partitions)"])
            }
        }
        return revoked
    }

    private mutating func track(_ message: KafkaConsumer.Message) {
        let partition = TopicPartition(topic: message.topic, partition: message.partition)
        do {
            try tracker.consumed(partition, offset: message.offset)
        } catch {
            // A rewind (the group moved the partition back to its committed
            // offset): start the partition over; what follows is re-delivered.
            tracker.reset(partition)
            try? tracker.consumed(partition, offset: message.offset)
            statistics.update { $0.redelivered += 1 }
        }
    }

}

extension ConsumedEvent {
    /// An event decoded from a consumed message, with its coordinates.
    init(_ event: AuditEvent, from message: KafkaConsumer.Message) {
        self.init(event: event, topic: message.topic, partition: message.partition, offset: message.offset)
    }
}
