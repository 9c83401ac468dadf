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
    private var held: [KafkaConsumer.Message] = []
    /// The next batch, fetched while the current one is decoded and delivered
    /// so that copying out of librdkafka overlaps with decoding. At most one
    /// batch ahead: memory stays bounded by two batches.
    private var prefetch: Task<[KafkaConsumer.Message], any Error>?

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
                track(message)
                do {
                    let event = try decoder.decode(message.value)
                    events.append(
                        ConsumedEvent(
                            event: event,
                            topic: message.topic,
                            partition: message.partition,
                            offset: message.offset
                        )
                    )
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
                let alerts = detection?.process(events) ?? []
                if !alerts.isEmpty, let topic = configuration.alertsTopic {
                    try await produce(
                        alerts.map {
                            (key: Array(($0.member ?? $0.key).utf8), value: $0.event.jsonBytes(), headers: [])
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

    /// Appends the raw messages to the ledger, retrying with back-off (and
    /// consumption paused) while the ledger cannot write.
    private mutating func mirror(_ messages: [KafkaConsumer.Message], eventIDs: [String?]) async throws -> [UInt64?] {
        guard let ledger else { return [] }
        var attempt = 0
        var paused: [TopicPartition] = []
        while true {
            do {
                let (leaves, size) = try await ledger.append(messages, eventIDs: eventIDs)
                if !paused.isEmpty { try await consumer.resume(paused) }
                statistics.update {
                    $0.ledgerSize = size
                    if attempt > 0 { $0.writesFailing = false }
                }
                return leaves
            } catch {
                if Task.isCancelled { throw error }
                attempt += 1
                try await writeFailed("the ledger did not append", error, attempt: attempt, paused: &paused)
            }
        }
    }

    /// Waits for a batch fetched ahead, if any, and keeps it for the next
    /// cycle; called before pausing, committing at shutdown, or polling
    /// directly, so that no two polls run at once.
    mutating func settlePrefetch() async throws {
        guard let prefetch else { return }
        self.prefetch = nil
        held += try await prefetch.value
    }

    private func poll(timeoutMilliseconds: Int32) async throws -> [KafkaConsumer.Message] {
        try await consumer.poll(maxMessages: configuration.batchSize, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Commits what every sink acknowledged, at most every commit interval unless forced.
    mutating func commit(force: Bool) async throws {
        let now = ContinuousClock.now
        guard force || now - lastCommit >= .milliseconds(configuration.commitIntervalMilliseconds) else { return }
        lastCommit = now
        if let detection, force || now - lastSnapshot >= .seconds(configuration.snapshotIntervalSeconds) {
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

    /// Produces each message unchanged to the dead-letter topic and waits
    /// until all are delivered; only then do they count as handled.
    private mutating func sendToDeadLetterTopic(_ letters: [DeadLetter]) async throws {
        try await produce(
            letters.map { (key: $0.message.key, value: $0.message.value, headers: $0.headers) },
            to: configuration.deadLetterTopic,
            what: "dead-letter"
        )
        for letter in letters {
            tracker.acknowledgedByAll(
                TopicPartition(topic: letter.message.topic, partition: letter.message.partition),
                offset: letter.message.offset
            )
            logger.debug("dead-lettered", metadata: ["reason": "\(letter.reason)"])
            metrics?.deadLettered(reason: letter.reason.code.name)
        }
        statistics.update { $0.deadLettered += letters.count }
    }

    /// Produces messages and waits until every one is delivered, retrying
    /// the whole set with back-off (and consumption paused) while any fails.
    private mutating func produce(
        _ messages: [(key: [UInt8]?, value: [UInt8], headers: [(name: String, value: [UInt8])])],
        to topic: String,
        what: String
    ) async throws {
        var attempt = 0
        while true {
            let before = deadLetters.deliveries.failed
            for message in messages {
                try await deadLetters.send(
                    topic: topic,
                    key: message.key,
                    value: message.value,
                    headers: message.headers
                )
            }
            try await deadLetters.flush()
            if deadLetters.deliveries.failed == before { return }
            attempt += 1
            logger.warning(
                "\(what) delivery failed; retrying",
                metadata: ["error": "\(deadLetters.deliveries.lastError ?? "?")", "attempt": "\(attempt)"]
            )
            var paused: [TopicPartition] = []
            try await backOff(attempt, paused: &paused)
            if !paused.isEmpty { try await consumer.resume(paused) }
        }
    }

    /// Hands a batch to every sink; while any fails, pauses consumption and
    /// offers the batch again with growing back-off.
    private mutating func deliver(_ batch: EventBatch) async throws {
        var attempt = 0
        var paused: [TopicPartition] = []
        var rejected: [(sink: String, rejection: SinkRejection)] = []
        while true {
            do {
                let metrics = self.metrics
                rejected = try await withThrowingTaskGroup(of: [(sink: String, rejection: SinkRejection)].self) {
                    group in
                    for sink in sinks {
                        group.addTask {
                            let started = ContinuousClock.now
                            do {
                                let outcome = try await sink.write(batch)
                                let elapsed = ContinuousClock.now - started
                                metrics?.sinkWrote(
                                    sink.name,
                                    events: batch.events.count,
                                    seconds: Double(elapsed.components.seconds)
                                        + Double(elapsed.components.attoseconds) / 1e18
                                )
                                return outcome.rejected.map { (sink.name, $0) }
                            } catch {
                                metrics?.sinkFailed(sink.name)
                                throw error
                            }
                        }
                    }
                    var all: [(sink: String, rejection: SinkRejection)] = []
                    for try await some in group { all += some }
                    return all
                }
                break
            } catch {
                if Task.isCancelled { throw error }
                attempt += 1
                try await writeFailed("a sink did not acknowledge", error, attempt: attempt, paused: &paused)
            }
        }
        if !paused.isEmpty { try await consumer.resume(paused) }
        if !rejected.isEmpty { try await sendRejections(rejected) }
        var acknowledged: [TopicPartition: Int64] = [:]
        for event in batch.events {
            let partition = TopicPartition(topic: event.topic, partition: event.partition)
            tracker.acknowledgedByAll(partition, offset: event.offset)
            acknowledged[partition] = max(acknowledged[partition] ?? 0, event.offset + 1)
        }
        for (partition, next) in acknowledged {
            metrics?.acknowledged(topic: partition.topic, partition: partition.partition, nextOffset: next)
        }
        statistics.update {
            $0.acknowledged += batch.events.count
            $0.writesFailing = false
        }
    }

    /// Rows a sink refused for good go to the dead-letter topic, their raw
    /// bytes unchanged, with the sink and its reason in the headers.
    private mutating func sendRejections(_ rejected: [(sink: String, rejection: SinkRejection)]) async throws {
        try await produce(
            rejected.map { item in
                let event = item.rejection.event
                return (
                    key: Array(event.event.actor.id.utf8),
                    value: event.event.raw.isEmpty ? event.event.jsonBytes() : event.event.raw,
                    headers: DeadLetter.headers(
                        code: "sink_rejected",
                        field: item.sink,
                        reason: item.rejection.reason,
                        topic: event.topic,
                        partition: event.partition,
                        offset: event.offset
                    )
                )
            },
            to: configuration.deadLetterTopic,
            what: "dead-letter"
        )
        statistics.update {
            $0.deadLettered += rejected.count
            $0.sinkRejected += rejected.count
        }
        metrics?.deadLettered(reason: "sink_rejected", count: rejected.count)
        for item in rejected {
            logger.warning(
                "a sink refused an event",
                metadata: ["sink": "\(item.sink)", "reason": "\(item.rejection.reason)"]
            )
        }
    }

    /// A failed sink or ledger write: counted (readiness goes false), logged,
    /// then the back-off with consumption paused.
    private mutating func writeFailed(
        _ what: String,
        _ error: any Error,
        attempt: Int,
        paused: inout [TopicPartition]
    ) async throws {
        statistics.update {
            $0.sinkFailures += 1
            $0.writesFailing = true
        }
        logger.warning("\(what); pausing", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
        try await backOff(attempt, paused: &paused)
    }

    /// Waits before another attempt with every assigned partition paused,
    /// polling meanwhile so that the consumer stays in its group. A partition
    /// assigned during the wait is paused too; anything it delivered first is
    /// held for the next cycle.
    private mutating func backOff(_ attempt: Int, paused: inout [TopicPartition]) async throws {
        try await settlePrefetch()
        let range = configuration.retryBackoffMilliseconds
        let wait = min(range.upperBound, range.lowerBound << min(attempt - 1, 16))
        let deadline = ContinuousClock.now + .milliseconds(wait)
        repeat {
            let unpaused = consumer.assignment.subtracting(paused)
            if !unpaused.isEmpty {
                try await consumer.pause(Array(unpaused))
                paused += unpaused
            }
            held += try await poll(timeoutMilliseconds: 50)
            let count = held.count
            statistics.update { $0.peakHeldMessages = Swift.max($0.peakHeldMessages, count) }
        } while ContinuousClock.now < deadline
    }
}
