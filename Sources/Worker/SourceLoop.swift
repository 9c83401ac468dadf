import AuditDecoder
import AuditEvent
import Kafka
import Logging
import Pipeline
import ServiceLifecycle

/// One consume, decode, deliver and commit cycle at a time; the state the
/// service's loop carries between cycles.
struct SourceLoop {
    let configuration: SourceConfiguration
    let sinks: [any Sink]
    let consumer: KafkaConsumer
    let deadLetters: KafkaProducer
    let decoder: AuditEventDecoder
    let statistics: StatisticsBox
    let logger: Logger
    var tracker: OffsetTracker<TopicPartition>
    private var lastCommit = ContinuousClock.now
    /// Messages that arrived while waiting out a sink failure, kept for the
    /// next cycle (never dropped).
    private var held: [KafkaConsumer.Message] = []

    init(
        configuration: SourceConfiguration,
        sinks: [any Sink],
        consumer: KafkaConsumer,
        deadLetters: KafkaProducer,
        decoder: AuditEventDecoder,
        statistics: StatisticsBox,
        logger: Logger
    ) {
        self.configuration = configuration
        self.sinks = sinks
        self.consumer = consumer
        self.deadLetters = deadLetters
        self.decoder = decoder
        self.statistics = statistics
        self.logger = logger
        tracker = OffsetTracker(requiredSinks: 1, maxInFlight: configuration.maxInFlightPerPartition)
    }

    mutating func step() async throws {
        forgetRevokedPartitions()
        var messages: [KafkaConsumer.Message]
        if held.isEmpty {
            messages = try await consumer.poll(maxMessages: configuration.batchSize, timeoutMilliseconds: 100)
        } else {
            messages = held
            held = []
        }
        if !messages.isEmpty {
            var events: [ConsumedEvent] = []
            events.reserveCapacity(messages.count)
            var dead: [DeadLetter] = []
            for message in messages {
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
                } catch {
                    dead.append(DeadLetter(message: message, reason: error))
                }
            }
            statistics.update { $0.consumed += messages.count }
            if !dead.isEmpty { try await sendToDeadLetterTopic(dead) }
            if !events.isEmpty { try await deliver(EventBatch(events: events)) }
        }
        try await commit(force: false)
    }

    /// Commits what every sink acknowledged, at most every commit interval unless forced.
    mutating func commit(force: Bool) async throws {
        let now = ContinuousClock.now
        guard force || now - lastCommit >= .milliseconds(configuration.commitIntervalMilliseconds) else { return }
        lastCommit = now
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

    private mutating func forgetRevokedPartitions() {
        for change in consumer.takeRebalances() {
            switch change {
            case .revoked(let partitions):
                for partition in partitions { tracker.reset(partition) }
                logger.info("partitions revoked", metadata: ["partitions": "\(partitions)"])
            case .assigned(let partitions):
                logger.info("partitions assigned", metadata: ["partitions": "\(partitions)"])
            }
        }
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
        var attempt = 0
        while true {
            let before = deadLetters.deliveries.failed
            for letter in letters {
                try await deadLetters.send(
                    topic: configuration.deadLetterTopic,
                    key: letter.message.key,
                    value: letter.message.value,
                    headers: letter.headers
                )
            }
            try await deadLetters.flush()
            if deadLetters.deliveries.failed == before { break }
            attempt += 1
            logger.warning(
                "dead-letter delivery failed; retrying",
                metadata: ["error": "\(deadLetters.deliveries.lastError ?? "?")", "attempt": "\(attempt)"]
            )
            var paused: [TopicPartition] = []
            try await backOff(attempt, paused: &paused)
            if !paused.isEmpty { try await consumer.resume(paused) }
        }
        for letter in letters {
            tracker.acknowledgedByAll(
                TopicPartition(topic: letter.message.topic, partition: letter.message.partition),
                offset: letter.message.offset
            )
            logger.debug("dead-lettered", metadata: ["reason": "\(letter.reason)"])
        }
        statistics.update { $0.deadLettered += letters.count }
    }

    /// Hands a batch to every sink; while any fails, pauses consumption and
    /// offers the batch again with growing back-off.
    private mutating func deliver(_ batch: EventBatch) async throws {
        var attempt = 0
        var paused: [TopicPartition] = []
        while true {
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for sink in sinks { group.addTask { try await sink.write(batch) } }
                    try await group.waitForAll()
                }
                break
            } catch {
                if Task.isCancelled { throw error }
                attempt += 1
                statistics.update { $0.sinkFailures += 1 }
                logger.warning(
                    "a sink did not acknowledge; pausing",
                    metadata: ["error": "\(error)", "attempt": "\(attempt)"]
                )
                try await backOff(attempt, paused: &paused)
            }
        }
        if !paused.isEmpty { try await consumer.resume(paused) }
        for event in batch.events {
            tracker.acknowledgedByAll(
                TopicPartition(topic: event.topic, partition: event.partition),
                offset: event.offset
            )
        }
        statistics.update { $0.acknowledged += batch.events.count }
    }

    /// Waits before another attempt with every assigned partition paused,
    /// polling meanwhile so that the consumer stays in its group. A partition
    /// assigned during the wait is paused too; anything it delivered first is
    /// held for the next cycle.
    private mutating func backOff(_ attempt: Int, paused: inout [TopicPartition]) async throws {
        let range = configuration.retryBackoffMilliseconds
        let wait = min(range.upperBound, range.lowerBound << min(attempt - 1, 16))
        let deadline = ContinuousClock.now + .milliseconds(wait)
        repeat {
            let unpaused = consumer.assignment.subtracting(paused)
            if !unpaused.isEmpty {
                try await consumer.pause(Array(unpaused))
                paused += unpaused
            }
            held += try await consumer.poll(maxMessages: configuration.batchSize, timeoutMilliseconds: 50)
        } while ContinuousClock.now < deadline
    }
}
