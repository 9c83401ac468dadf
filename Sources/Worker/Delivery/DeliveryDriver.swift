import Kafka
import Logging
import Pipeline
import ServiceLifecycle
import Telemetry

/// Carries out what the ``DeliveryMachine`` decides. Three kinds of task
/// run side by side: the source stage (poll, decode, ledger, detection), one
/// writer per sink (its batches in order), and this loop, the only owner of
/// the machine, which turns their reports and a 20 ms tick into events and
/// the machine's actions into calls: grant the source a permit, hand a batch
/// to a sink, pause, resume, commit, snapshot, stop.
struct DeliveryDriver {
    let configuration: SourceConfiguration
    let consumer: KafkaConsumer
    let source: SourceStage
    let sinks: [any Sink]
    let policies: [SinkPolicy]
    let deadLetters: DeadLetterSink
    let detection: DetectionStage?
    let books: Books
    let logger: Logger

    /// Runs until the machine stops (a graceful shutdown); true when batches were given up at the bound.
    func run() async throws -> Bool {
        let (inbox, continuation) = AsyncStream.makeStream(of: DriverInput.self)
        let gate = Gate()
        let writers = sinks.map { _ in AsyncStream.makeStream(of: ([Int], EventBatch).self) }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await source.run(gate: gate, inbox: continuation) }
            for (index, sink) in sinks.enumerated() {
                let jobs = writers[index].stream
                group.addTask { await write(jobs, to: sink, index: index, inbox: continuation) }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(20))
                    continuation.yield(.tick)
                }
            }
            var loop = Loop(driver: self, gate: gate, writers: writers.map(\.continuation))
            defer {
                gate.close()
                for writer in writers { writer.continuation.finish() }
                continuation.finish()
                group.cancelAll()
            }
            for await input in inbox {
                if try await loop.handle(input) { break }
            }
            return loop.abandoned
        }
    }

    /// One sink's writer: its batches one at a time, in the order handed
    /// over; rows it refused for good go to the dead-letter topic before the
    /// batch counts as acknowledged.
    private func write(
        _ jobs: AsyncStream<([Int], EventBatch)>,
        to sink: any Sink,
        index: Int,
        inbox: AsyncStream<DriverInput>.Continuation
    ) async {
        for await (ids, batch) in jobs {
            let started = ContinuousClock.now
            do {
                let outcome = try await sink.write(batch)
                if !outcome.rejected.isEmpty {
                    try await deadLetters.send(outcome.rejected.map { RejectedMessage($0, sink: sink.name) })
                    for rejection in outcome.rejected {
                        logger.warning(
                            "a sink refused an event",
                            metadata: ["sink": "\(sink.name)", "reason": "\(rejection.reason)"]
                        )
                    }
                }
                let elapsed = ContinuousClock.now - started
                books.sinkWrote(sink.name, events: batch.events.count, seconds: elapsed / .seconds(1))
                inbox.yield(.written(ids: ids, sink: index, error: nil))
            } catch {
                inbox.yield(.written(ids: ids, sink: index, error: error))
            }
        }
    }

    /// The loop's state: the machine and the batches it has in flight.
    private struct Loop {
        let driver: DeliveryDriver
        let gate: Gate
        let writers: [AsyncStream<([Int], EventBatch)>.Continuation]
        var machine: DeliveryMachine<TopicPartition>
        var batches: [Int: PreparedBatch] = [:]
        var shutdownSeen = false
        var abandoned = false

        init(driver: DeliveryDriver, gate: Gate, writers: [AsyncStream<([Int], EventBatch)>.Continuation]) {
            self.driver = driver
            self.gate = gate
            self.writers = writers
            let configuration = driver.configuration
            machine = DeliveryMachine(
                settings: .init(
                    sinks: driver.policies,
                    maxBatchesInFlight: configuration.maxBatchesInFlight,
                    maxInFlightPerPartition: configuration.maxInFlightPerPartition,
                    commitInterval: .milliseconds(configuration.commitIntervalMilliseconds),
                    snapshotInterval: driver.detection?.store == nil
                        ? nil : .seconds(configuration.snapshotIntervalSeconds),
                    backoff: configuration.retryBackoff,
                    shutdownTimeout: configuration.shutdownTimeout
                ),
                now: .now
            )
        }

        /// One input; true once the machine stopped.
        mutating func handle(_ input: DriverInput) async throws -> Bool {
            let now = ContinuousClock.now
            var events: [DeliveryMachine<TopicPartition>.Event] = []
            if !shutdownSeen && (Task.isShuttingDownGracefully || Task.isCancelled) {
                shutdownSeen = true
                events.append(.shutdownRequested(at: now))
            }
            switch input {
            case .prepared(let prepared):
                batches[prepared.id] = prepared
                events.append(.batchReady(prepared.id, runs: prepared.runs, at: now))
            case .idle:
                events.append(.sourceIdle(at: now))
            case .rebalanced(let changes):
                for change in changes {
                    switch change {
                    case .assigned(let partitions): events.append(.assigned(partitions, at: now))
                    case .revoked(let partitions): events.append(.revoked(partitions, at: now))
                    }
                }
            case .stage(let failing):
                events.append(.stageFailing(failing, at: now))
            case .written(let ids, let sink, let error):
                if let error {
                    driver.books.writeFailed(driver.sinks[sink].name, isSink: true, error: error)
                    driver.logger.warning(
                        "a sink did not acknowledge; pausing",
                        metadata: ["sink": "\(driver.sinks[sink].name)", "error": "\(error)"]
                    )
                    events.append(.sinkFailed(ids, sink: sink, at: now))
                } else {
                    driver.books.writeSucceeded(driver.sinks[sink].name)
                    events.append(.sinkAcknowledged(ids, sink: sink, at: now))
                }
            case .tick:
                events.append(.tick(now))
                gate.nudge()
            case .sourceFailed(let error):
                throw error
            }
            for event in events {
                for action in machine.handle(event) {
                    if try await perform(action) { return true }
                }
            }
            driver.books.delivery(failing: machine.failing, redelivered: machine.redelivered)
            return false
        }

        /// Carries out one action; true for the last one.
        private mutating func perform(_ action: DeliveryMachine<TopicPartition>.Action) async throws -> Bool {
            switch action {
            case .admit:
                gate.grant()
            case .write(let ids, let sink):
                // Batches that queued while the sink wrote go as one write.
                writers[sink].yield((ids, EventBatch(merging: ids.compactMap { batches[$0]?.batch })))
            case .skip(_, let sink):
                driver.logger.debug(
                    "a best-effort sink skipped a batch",
                    metadata: ["sink": "\(driver.sinks[sink].name)"]
                )
            case .completed(let id):
                guard let prepared = batches[id] else { break }
                driver.books.acknowledged(prepared.runs, prepared.batch)
                driver.detection?.acknowledged(prepared.runs)
            case .release(let id):
                batches[id] = nil
            case .pause(let partitions):
                try await driver.consumer.pause(partitions)
            case .resume(let partitions):
                try await driver.consumer.resume(partitions)
            case .commit(let offsets):
                try await commit(offsets)
            case .forget(let partitions):
                driver.logger.debug("delivery forgot revoked partitions", metadata: ["partitions": "\(partitions)"])
            case .saveSnapshot:
                do {
                    try await driver.detection?.save()
                } catch {
                    // Not fatal: the last good snapshot stays, and a restart re-reads from its offset.
                    driver.logger.warning("detection snapshot not saved", metadata: ["error": "\(error)"])
                }
                for action in machine.handle(.snapshotSaved(at: .now)) {
                    if try await perform(action) { return true }
                }
            case .stop(let abandoned):
                driver.detection?.stop()
                self.abandoned = abandoned
                return true
            }
            return false
        }

        private mutating func commit(_ offsets: [TopicPartition: Int64]) async throws {
            do {
                try await driver.consumer.commit(offsets)
                driver.books.committed()
            } catch {
                // A rebalance in progress (stale generation, unknown member)
                // makes the group refuse commits. Nothing is lost: the machine
                // offers the offsets again with the next commit, and whoever
                // owns a partition next resumes from its last successful one.
                driver.books.commitRefused()
                driver.logger.warning("offset commit refused; continuing", metadata: ["error": "\(error)"])
                for action in machine.handle(.commitRefused(offsets, at: .now)) { _ = try await perform(action) }
            }
        }
    }
}
