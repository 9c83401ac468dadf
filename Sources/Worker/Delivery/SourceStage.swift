import AuditDecoder
import AuditEvent
import Detection
import Foundation
import GatewayFormats
import Kafka
import Logging
import Pipeline
import Synchronization
import Telemetry

/// A batch ready for the sinks, with the origin of every message in it (for
/// the offsets the delivery machine tracks).
struct PreparedBatch: Sendable {
    var id: Int
    /// The offsets the batch holds of each partition.
    var runs: [TopicPartition: OffsetRun]
    var batch: EventBatch
}

/// What the source stage and the sink workers tell the driver.
enum DriverInput: Sendable {
    case prepared(PreparedBatch)
    /// The permit was used up without a batch (nothing new to read).
    case idle
    case rebalanced([KafkaConsumer.Rebalance])
    /// An ordered stage (the ledger) started or stopped failing.
    case stage(failing: Bool)
    /// A sink finished a write of these batches: nil error is an acknowledgement.
    case written(ids: [Int], sink: Int, error: (any Error)?)
    case tick
    case sourceFailed(any Error)
}

/// The head of the pipeline, one batch per permit: polls the consumer,
/// decodes on every core, mirrors the raw messages into the ledger while
/// detection runs over the events, and hands the prepared batch to the
/// driver. Its stages are ordered (the ledger and detection see each
/// partition's messages in offset order); the sinks write earlier batches
/// meanwhile.
final class SourceStage: @unchecked Sendable {
    let configuration: SourceConfiguration
    let consumer: KafkaConsumer
    /// One set of formats per decoding task.
    let formats: [TopicDecoders]
    let detection: DetectionStage?
    let ledger: LedgerStage?
    let books: Books
    let logger: Logger
    /// Messages polled while waiting for a permit or a failing stage (to
    /// stay in the group), kept for the next batch. At most four batches'
    /// worth. Locked: stages of one batch run side by side.
    private let held = Mutex<[KafkaConsumer.Message]>([])
    /// The ledger and detection, in that order (each optional).
    private let stages: [any OrderedStage]
    /// The next offset to consume per partition, for the lag gauge.
    private var positions: [TopicPartition: Int64] = [:]
    private var lastGauges = ContinuousClock.now
    private var nextID = 0

    init(
        configuration: SourceConfiguration,
        consumer: KafkaConsumer,
        detection: DetectionStage?,
        ledger: LedgerStage?,
        books: Books,
        logger: Logger
    ) throws {
        self.configuration = configuration
        self.consumer = consumer
        let cores = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
        var settings = configuration.mapping
        settings.limits = configuration.decoderLimits
        formats = try (0..<cores).map { _ in
            try TopicDecoders(
                format: configuration.format,
                topicFormats: configuration.topicFormats,
                settings: settings
            )
        }
        self.detection = detection
        self.ledger = ledger
        stages = ([ledger, detection] as [(any OrderedStage)?]).compactMap { $0 }
        self.books = books
        self.logger = logger
    }

    func run(gate: Gate, inbox: AsyncStream<DriverInput>.Continuation) async {
        var waitingSince = ContinuousClock.now
        do {
            while true {
                switch await gate.acquire() {
                case .closed:
                    return
                case .nudged:
                    // No room downstream: the machine has paused the
                    // partitions by now; polling only keeps the group.
                    if ContinuousClock.now - waitingSince >= .seconds(1) {
                        try await holdWhatArrives(timeoutMilliseconds: 10)
                        let kept = report(consumer.takeRebalances(), held.withLock { $0 }, inbox)
                        held.withLock { $0 = kept }
                    }
                case .granted:
                    var messages = held.withLock { held in
                        defer { held = [] }
                        return held
                    }
                    if messages.isEmpty {
                        messages = try await consumer.poll(
                            maxMessages: configuration.batchSize,
                            timeoutMilliseconds: 100
                        )
                    }
                    messages = report(consumer.takeRebalances(), messages, inbox)
                    if let detection, !messages.isEmpty { messages = warmUp(detection, messages) }
                    if messages.isEmpty {
                        inbox.yield(.idle)
                    } else {
                        inbox.yield(.prepared(try await prepare(messages, inbox: inbox)))
                    }
                    waitingSince = ContinuousClock.now
                    await checkpointIfDue()
                    updateGauges()
                }
            }
        } catch {
            if !(error is CancellationError) { inbox.yield(.sourceFailed(error)) }
        }
    }

    /// Tells the driver of rebalances; forgets the detection state of
    /// revoked partitions and drops their messages (fetched before the
    /// revocation: the new owner reads them from the last commit).
    private func report(
        _ changes: [KafkaConsumer.Rebalance],
        _ messages: [KafkaConsumer.Message],
        _ inbox: AsyncStream<DriverInput>.Continuation
    ) -> [KafkaConsumer.Message] {
        guard !changes.isEmpty else { return messages }
        var revoked = false
        for change in changes {
            switch change {
            case .revoked(let partitions):
                revoked = true
                for partition in partitions {
                    detection?.forget(partition)
                    ledger?.forget(partition)
                    positions[partition] = nil
                }
                logger.info("partitions revoked", metadata: ["partitions": "\(partitions)"])
            case .assigned(let partitions):
                logger.info("partitions assigned", metadata: ["partitions": "\(partitions)"])
            }
        }
        inbox.yield(.rebalanced(changes))
        guard revoked else { return messages }
        let owned = consumer.assignment
        return messages.filter { owned.contains(TopicPartition(topic: $0.topic, partition: $0.partition)) }
    }

    /// Decode, then the ledger and detection side by side.
    private func prepare(
        _ messages: [KafkaConsumer.Message],
        inbox: AsyncStream<DriverInput>.Continuation
    ) async throws -> PreparedBatch {
        nextID += 1
        let decoded = await decode(messages)
        var events: [ConsumedEvent] = []
        events.reserveCapacity(messages.count)
        var rejected: [RejectedMessage] = []
        /// Which message each event came from, for its ledger index.
        var sources: [Int] = []
        var firstIDs = [String?](repeating: nil, count: messages.count)
        var skipped: [String: Int] = [:]
        for (position, outcome) in decoded.enumerated() {
            switch outcome {
            case .success(let decoded):
                for (index, event) in decoded.events.enumerated() {
                    events.append(ConsumedEvent(event, from: messages[position], index: index))
                    sources.append(position)
                }
                firstIDs[position] = decoded.events.first?.eventID
                for failure in decoded.failures { rejected.append(RejectedMessage(messages[position], failure)) }
                if decoded.skipped > 0 { skipped[messages[position].topic, default: 0] += decoded.skipped }
            case .failure(let error):
                rejected.append(RejectedMessage(messages[position], error))
            }
        }
        if !skipped.isEmpty { books.skippedRecords(skipped) }
        let runs = account(messages, events)
        let staged = StagedBatch(messages: messages, events: events, sources: sources, eventIDs: firstIDs)
        var batch = EventBatch(events: events, rejected: rejected)
        if !stages.isEmpty {
            // The stages side by side; their changes applied in stage order.
            let changes = try await withThrowingTaskGroup(
                of: (Int, @Sendable (inout EventBatch) -> Void).self
            ) { group in
                for (position, stage) in stages.enumerated() {
                    group.addTask { (position, try await self.run(stage, staged, inbox)) }
                }
                var changes = [(@Sendable (inout EventBatch) -> Void)?](repeating: nil, count: stages.count)
                for try await (position, change) in group { changes[position] = change }
                return changes
            }
            for change in changes { change?(&batch) }
        }
        if let ledger { books.ledgerSize(ledger.size) }
        if let detection { books.lateEvents(total: detection.lateEvents) }
        return PreparedBatch(id: nextID, runs: runs, batch: batch)
    }

    /// Each message decoded by the format; chunks in parallel, one format instance per task.
    private func decode(_ messages: [KafkaConsumer.Message]) async -> [Result<DecodedMessage, AuditEventError>] {
        let chunks = messages.count < 256 ? 1 : formats.count
        if chunks == 1 { return Self.decode(messages[...], formats[0]) }
        let size = (messages.count + chunks - 1) / chunks
        return await withTaskGroup(of: (Int, [Result<DecodedMessage, AuditEventError>]).self) { group in
            for chunk in 0..<chunks {
                let start = chunk * size
                let end = min(messages.count, start + size)
                guard start < end else { continue }
                let slice = messages[start..<end]
                let format = formats[chunk]
                group.addTask { (chunk, Self.decode(slice, format)) }
            }
            var parts = [[Result<DecodedMessage, AuditEventError>]](repeating: [], count: chunks)
            for await (chunk, part) in group { parts[chunk] = part }
            return parts.flatMap { $0 }
        }
    }

    private static func decode(
        _ messages: ArraySlice<KafkaConsumer.Message>,
        _ decoders: TopicDecoders
    ) -> [Result<DecodedMessage, AuditEventError>] {
        messages.map { message in
            do throws(AuditEventError) {
                return .success(try decoders.decode(topic: message.topic, message.value))
            } catch {
                return .failure(error)
            }
        }
    }

    /// Counts the batch; returns its run of offsets per partition. Messages
    /// come in runs per partition: one dictionary update per run.
    private func account(
        _ messages: [KafkaConsumer.Message],
        _ events: [ConsumedEvent]
    ) -> [TopicPartition: OffsetRun] {
        var runs: [TopicPartition: OffsetRun] = [:]
        var start = 0
        while start < messages.count {
            let topic = messages[start].topic
            let number = messages[start].partition
            var end = start
            var first = messages[start].offset
            var last = first
            while end < messages.count, messages[end].partition == number, messages[end].topic == topic {
                first = min(first, messages[end].offset)
                last = max(last, messages[end].offset)
                end += 1
            }
            runs.add(
                OffsetRun(first: first, last: last, count: end - start),
                to: TopicPartition(topic: topic, partition: number)
            )
            start = end
        }
        for (partition, run) in runs { positions[partition] = max(positions[partition] ?? 0, run.last + 1) }
        books.consumed(runs, events: events)
        return runs
    }

    /// Runs one stage over the batch; while it fails, the driver pauses the
    /// source and this retries with back-off, polling meanwhile only to stay
    /// in the group.
    private func run(
        _ stage: any OrderedStage,
        _ batch: StagedBatch,
        _ inbox: AsyncStream<DriverInput>.Continuation
    ) async throws -> @Sendable (inout EventBatch) -> Void {
        var attempt = 0
        while true {
            do {
                let change = try await stage.process(batch)
                if attempt > 0 {
                    inbox.yield(.stage(failing: false))
                    books.writeSucceeded(stage.name)
                }
                return change
            } catch {
                try Task.checkCancellation()
                attempt += 1
                if attempt == 1 { inbox.yield(.stage(failing: true)) }
                books.writeFailed(stage.name, isSink: false, error: error)
                logger.warning(
                    "the \(stage.name) stage failed; pausing",
                    metadata: ["error": "\(error)", "attempt": "\(attempt)"]
                )
                let deadline = ContinuousClock.now + configuration.retryBackoff.delay(afterFailures: attempt)
                repeat {
                    try Task.checkCancellation()
                    try await holdWhatArrives(timeoutMilliseconds: 50)
                } while ContinuousClock.now < deadline
            }
        }
    }

    /// One poll whose messages are held for the next batch (at most four
    /// batches' worth; past that it only waits).
    private func holdWhatArrives(timeoutMilliseconds: Int32) async throws {
        guard held.withLock({ $0.count }) < 4 * configuration.batchSize else {
            try await Task.sleep(for: .milliseconds(Int64(timeoutMilliseconds)))
            return
        }
        let more = try await consumer.poll(
            maxMessages: configuration.batchSize,
            timeoutMilliseconds: timeoutMilliseconds
        )
        let count = held.withLock { held in
            held += more
            return held.count
        }
        books.held(count)
    }

    /// Messages before the group's commit, read again only because the
    /// partition's detection snapshot is older: they were stored, alerted on
    /// and dead-lettered already, so they go to detection alone (their
    /// alerts were delivered the first time and are dropped). The rest are returned.
    private func warmUp(_ detection: DetectionStage, _ messages: [KafkaConsumer.Message]) -> [KafkaConsumer.Message] {
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
            if let decoded = try? formats[0].decode(topic: message.topic, message.value) {
                for (index, event) in decoded.events.enumerated() {
                    events.append(ConsumedEvent(event, from: message, index: index))
                }
            }
        }
        guard rest.count < messages.count else { return messages }
        _ = detection.process(events, settled: true)
        let count = messages.count - rest.count
        books.replayedForState(count)
        return rest
    }

    private func checkpointIfDue() async {
        guard let ledger else { return }
        do {
            try await ledger.checkpointIfDue()
        } catch {
            // Not fatal: the entries are durable; the next attempt signs them.
            logger.warning("ledger checkpoint not written", metadata: ["error": "\(error)"])
        }
    }

    /// Lag per partition, detection state and the ledger, once a second.
    private func updateGauges() {
        guard let metrics = books.metrics, ContinuousClock.now - lastGauges >= .seconds(1) else { return }
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
}

extension ConsumedEvent {
    /// An event decoded from a consumed message, with its origin.
    init(_ event: AuditEvent, from message: KafkaConsumer.Message, index: Int = 0) {
        self.init(
            event: event,
            topic: message.topic,
            partition: message.partition,
            offset: message.offset,
            index: index
        )
    }
}
