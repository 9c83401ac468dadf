import Kafka
import Pipeline
import Telemetry

/// Handing a batch on: the ledger, the dead-letter topic, the alerts topic
/// and the sinks, each retried with back-off (consumption paused) until it
/// takes the batch.
extension SourceLoop {
    /// Appends the raw messages to the ledger, retrying with back-off (and
    /// consumption paused) while the ledger cannot write.
    mutating func mirror(_ messages: [KafkaConsumer.Message], eventIDs: [String?]) async throws -> [UInt64?] {
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

    /// Produces each message unchanged to the dead-letter topic and waits
    /// until all are delivered; only then do they count as handled.
    mutating func sendToDeadLetterTopic(_ letters: [DeadLetter]) async throws {
        try await produce(
            letters.map { KafkaProducer.Outgoing(key: $0.message.key, value: $0.message.value, headers: $0.headers) },
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

    /// Produces messages and waits until every one is delivered. A message
    /// refused for its size (by our producer or by the broker) goes again
    /// truncated, with headers saying so (``DeadLetter/truncated(_:)``):
    /// what a message holds never stops the worker. Messages that failed
    /// for any other reason (the cluster unreachable) are retried with
    /// back-off, consumption paused.
    mutating func produce(_ messages: [KafkaProducer.Outgoing], to topic: String, what: String) async throws {
        var pending = messages
        var attempt = 0
        var paused: [TopicPartition] = []
        while true {
            let outcomes = await deadLetters.deliver(pending, to: topic)
            var again: [KafkaProducer.Outgoing] = []
            var failure: KafkaError?
            for (message, outcome) in zip(pending, outcomes) {
                guard let outcome else { continue }
                if outcome.code == "MSG_SIZE_TOO_LARGE", let smaller = DeadLetter.truncated(message) {
                    again.append(smaller)
                    statistics.update { $0.truncatedDeadLetters += 1 }
                    logger.warning(
                        "a message too large for '\(topic)' goes truncated, with its size and SHA-256 in headers",
                        metadata: ["bytes": "\(message.value.count)", "now": "\(smaller.value.count)"]
                    )
                } else {
                    again.append(message)
                    failure = outcome
                }
            }
            if again.isEmpty { break }
            pending = again
            guard let failure else { continue }  // only truncations: send them now
            attempt += 1
            logger.warning(
                "\(what) delivery failed; retrying",
                metadata: ["error": "\(failure)", "attempt": "\(attempt)", "messages": "\(pending.count)"]
            )
            try await backOff(attempt, paused: &paused)
        }
        if !paused.isEmpty {
            try await consumer.resume(paused)
            paused = []
        }
    }

    /// Hands a batch to every sink; while any fails, pauses consumption and
    /// offers the batch again with growing back-off.
    mutating func deliver(_ batch: EventBatch) async throws {
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
                return KafkaProducer.Outgoing(
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
        // Every retry of a failing write waits here: the one place that
        // gives up once a shutdown has waited half its bound.
        try giveUpIfShutdownIsDue()
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
            try giveUpIfShutdownIsDue()
        } while ContinuousClock.now < deadline
    }
}
