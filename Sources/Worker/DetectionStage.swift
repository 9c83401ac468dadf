import AuditEvent
import Blocking
import Detection
import Foundation
import Kafka
import Logging
import Pipeline
import Synchronization

/// Runs the detection engine inside the worker: one engine per partition
/// (members are keyed to partitions, so a member's state lives with its
/// partition and moves with it), each fed its partition's events in offset
/// order, exactly once.
///
/// Exactly once, under at-least-once delivery: an engine remembers the
/// origin (offset, index in the message) of the last event it processed, and
/// a re-delivered event at or before it (a rewind after a rebalance) is not
/// fed again. With a state store, each engine is saved with the next offset
/// it expects (on the snapshot interval, at shutdown, and when its
/// partition is revoked), and a worker that is assigned the partition
/// later, on any host sharing the store, starts reading there: events
/// between that offset and the group's commit are re-fed to the restored
/// engine only, which then continues with exactly the alerts an
/// uninterrupted engine would give.
///
/// A saved engine never holds an event whose alerts no sink received: the
/// interval snapshot is taken when nothing is in flight, and a revoked
/// partition's engine is saved only once every event fed to it was
/// acknowledged by every required sink.
final class DetectionStage: @unchecked Sendable {
    let settings: DetectionSettings
    let store: (any DetectionStateStore)?
    let logger: Logger
    private var engines: [TopicPartition: PartitionEngine] = [:]
    /// Held while engines are fed, saved, counted or forgotten: a snapshot
    /// taken while a batch is half fed would not match its offset.
    private let lock = Mutex<Void>(())
    /// The engine the store held at assignment (read and decoded on
    /// librdkafka's thread; nil: none), kept for the partition's first
    /// batch: the store is never read while events are fed, on the
    /// cooperative pool.
    private let loaded = Mutex<[TopicPartition: PartitionEngine?]>([:])
    /// Where the interval saves run, off the cooperative pool.
    private let saving = BlockingQueue(label: "countersign.detection.save")
    /// When the store last failed a restore (after its retries).
    private let storeFailedAt = Mutex<ContinuousClock.Instant?>(nil)
    /// Set once delivery stopped: a revocation while the consumer closes
    /// saves nothing (the last snapshot was taken, or must not be, since
    /// batches were given up).
    private var stopped = false
    /// Events older than their engine's watermark so far (stored, not judged).
    private(set) var lateEvents = 0
    /// Idle keys evicted so far, members and member x tool pairs.
    private(set) var evictedMembers = 0
    private(set) var evictedPairs = 0

    struct PartitionEngine {
        var engine: DetectionEngine
        /// The origin of the last event fed to the engine: the message's
        /// offset (or -1) and the event's index in it (`Int.max` once a
        /// restored engine's messages are whole).
        var lastOffset: Int64
        var lastIndex: Int
        /// The last offset of the partition every required sink acknowledged
        /// (or that was acknowledged before: restored and warm-up events).
        var acknowledged: Int64

        /// A fresh engine, or one restored whole up to `nextOffset`.
        init(_ engine: DetectionEngine, nextOffset: Int64 = 0) {
            self.engine = engine
            lastOffset = nextOffset - 1
            lastIndex = .max
            acknowledged = nextOffset - 1
        }

        /// What the store keeps of it.
        func saved(_ partition: TopicPartition) -> SavedDetectionState {
            SavedDetectionState(
                topic: partition.topic,
                partition: partition.partition,
                nextOffset: lastOffset + 1,
                snapshot: engine.snapshot()
            )
        }
    }

    /// Told of every save and restore of state, for the metrics.
    enum StateOutcome: Sendable {
        case saved(when: String, ok: Bool)
        case restored(String)
    }

    /// Called on the thread that saved or restored.
    let onState: (@Sendable (StateOutcome) -> Void)?

    /// Which saved engines may be restored (replay takes only those older
    /// than its range); nil restores every one.
    let acceptSnapshot: (@Sendable (DetectionEngine) -> Bool)?

    init(
        settings: DetectionSettings,
        store: (any DetectionStateStore)?,
        acceptSnapshot: (@Sendable (DetectionEngine) -> Bool)? = nil,
        logger: Logger = Logger(label: "countersign.detection"),
        onState: (@Sendable (StateOutcome) -> Void)? = nil
    ) {
        self.settings = settings
        self.store = store
        self.logger = logger
        self.onState = onState
        self.acceptSnapshot = acceptSnapshot
    }

    /// Feeds each event not seen before to its partition's engine; returns
    /// the alerts, in event order. `settled` events were delivered before
    /// (warm-up from an older snapshot): nothing of them is in flight.
    func process(_ events: [ConsumedEvent], settled: Bool = false) -> [Alert] {
        lock.withLock { _ in feed(events, settled: settled) }
    }

    private func feed(_ events: [ConsumedEvent], settled: Bool) -> [Alert] {
        var alerts: [Alert] = []
        var index = 0
        while index < events.count {
            // Events of one partition come in runs: one dictionary lookup per run.
            let partition = TopicPartition(topic: events[index].topic, partition: events[index].partition)
            var state = engines.removeValue(forKey: partition) ?? restore(partition)
            let before = state.engine.statistics
            while index < events.count, events[index].partition == partition.partition,
                events[index].topic == partition.topic
            {
                let event = events[index]
                if event.offset > state.lastOffset
                    || (event.offset == state.lastOffset && event.index > state.lastIndex)
                {
                    alerts += state.engine.process(event.event)
                    state.lastOffset = event.offset
                    state.lastIndex = event.index
                }
                index += 1
            }
            if settled { state.acknowledged = max(state.acknowledged, state.lastOffset) }
            lateEvents += state.engine.statistics.late - before.late
            evictedMembers += state.engine.statistics.evictedMembers - before.evictedMembers
            evictedPairs += state.engine.statistics.evictedPairs - before.evictedPairs
            engines[partition] = state
        }
        return alerts
    }

    /// Keys tracked now over every partition's engine, by kind.
    var trackedKeys: [String: Int] {
        var keys = ["member": 0, "member_tool": 0, "tool": 0, "tenant": 0]
        lock.withLock { _ in
            for state in engines.values {
                keys["member", default: 0] += state.engine.trackedMembers
                keys["member_tool", default: 0] += state.engine.trackedPairs
                keys["tool", default: 0] += state.engine.trackedTools
                keys["tenant", default: 0] += state.engine.trackedTenants
            }
        }
        return keys
    }

    /// Where a partition's reading should start: the next offset of its saved
    /// engine, if there is one. Called on librdkafka's thread at assignment.
    /// A store that cannot be read is asked again for a few seconds; then the
    /// partition starts without state (said in the log: its first-seen and
    /// off-hours detectors warm up again).
    func startingOffset(_ partition: TopicPartition) -> Int64? {
        var restored: PartitionEngine?
        if let saved = load(partition),
            let engine = try? DetectionEngine(snapshot: saved.snapshot, settings: settings),
            acceptSnapshot?(engine) ?? true
        {
            restored = PartitionEngine(engine, nextOffset: saved.nextOffset)
        }
        loaded.withLock { $0[partition] = .some(restored) }
        return restored.map { $0.lastOffset + 1 }
    }

    private func load(_ partition: TopicPartition) -> SavedDetectionState? {
        guard let store else { return nil }
        // Once the store gave up on one partition, the others of the same
        // assignment are asked once each: retrying every one of many
        // partitions would hold the rebalance callback for minutes.
        var attempt = storeFailedAt.withLock { $0.map { ContinuousClock.now - $0 < .seconds(30) } ?? false } ? 3 : 0
        while true {
            do {
                let saved = try store.load(topic: partition.topic, partition: partition.partition)
                storeFailedAt.withLock { $0 = nil }
                onState?(.restored(saved == nil ? "none" : "restored"))
                return saved
            } catch {
                attempt += 1
                guard attempt < 4 else {
                    storeFailedAt.withLock { $0 = .now }
                    onState?(.restored("failed"))
                    logger.error(
                        "detection state not restored; the partition starts without it",
                        metadata: ["partition": "\(partition)", "store": "\(store.description)", "error": "\(error)"]
                    )
                    return nil
                }
                Thread.sleep(forTimeInterval: Double(attempt))
            }
        }
    }

    /// Saves every engine with the next offset it expects (the interval and
    /// shutdown save), off the cooperative pool: files, a database.
    func save() async throws(DetectionStateError) {
        let result: Result<Void, DetectionStateError> = await saving.run { [self] in
            do throws(DetectionStateError) {
                try saveAll()
                onState?(.saved(when: "interval", ok: true))
                return .success(())
            } catch {
                onState?(.saved(when: "interval", ok: false))
                return .failure(error)
            }
        }
        try result.get()
    }

    private func saveAll() throws(DetectionStateError) {
        guard let store else { return }
        let saved = lock.withLock { _ in
            engines.sorted(by: { $0.key < $1.key }).filter { $0.value.lastOffset >= 0 }.map { $0.value.saved($0.key) }
        }
        try store.save(saved)
    }

    /// Every required sink acknowledged these offsets (a batch completed).
    func acknowledged(_ runs: [TopicPartition: OffsetRun]) {
        lock.withLock { _ in
            for (partition, run) in runs where engines[partition] != nil {
                engines[partition]!.acknowledged = max(engines[partition]!.acknowledged, run.last)
            }
        }
    }

    /// Delivery stopped: revocations from now on (the consumer closing) save nothing.
    func stop() { lock.withLock { _ in stopped = true } }

    /// Saves the engines of partitions being revoked, before they are given
    /// up (on librdkafka's thread, inside the rebalance callback): waits up
    /// to `wait` for the batches in flight to be acknowledged, then saves
    /// each engine whose events all were. One still waiting is not saved:
    /// its next owner starts from the last interval snapshot and re-reads
    /// from there, which gives the same alerts, only later.
    func saveRevoked(_ partitions: [TopicPartition], wait: Duration = .seconds(5)) {
        guard let store, !partitions.isEmpty else { return }
        let deadline = ContinuousClock.now + wait
        while awaitingAcknowledgement(partitions), ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let (ready, waiting): ([SavedDetectionState], [TopicPartition]) = lock.withLock { _ in
            guard !stopped else { return ([], []) }
            var ready: [SavedDetectionState] = []
            var waiting: [TopicPartition] = []
            for partition in partitions {
                guard let state = engines[partition], state.lastOffset >= 0 else { continue }
                guard state.acknowledged >= state.lastOffset else {
                    waiting.append(partition)
                    continue
                }
                ready.append(state.saved(partition))
            }
            return (ready, waiting)
        }
        if !waiting.isEmpty {
            logger.info(
                "revoked partitions with batches still in flight keep their last interval snapshot",
                metadata: ["partitions": "\(waiting)"]
            )
        }
        guard !ready.isEmpty else { return }
        let started = ContinuousClock.now
        do {
            try store.save(ready)
            onState?(.saved(when: "revocation", ok: true))
            logger.info(
                "detection state saved for revoked partitions",
                metadata: ["partitions": "\(ready.count)", "took": "\(ContinuousClock.now - started)"]
            )
        } catch {
            onState?(.saved(when: "revocation", ok: false))
            logger.warning(
                "detection state of revoked partitions not saved; their next owner starts from the last snapshot",
                metadata: ["store": "\(store.description)", "error": "\(error)"]
            )
        }
    }

    /// Whether one of these partitions has events fed but not yet acknowledged.
    private func awaitingAcknowledgement(_ partitions: [TopicPartition]) -> Bool {
        lock.withLock { _ in
            !stopped && partitions.contains { engines[$0].map { $0.acknowledged < $0.lastOffset } ?? false }
        }
    }

    /// Forgets the engine of a partition this worker no longer owns.
    /// What the store held is kept: the source learns of a revocation after
    /// the fact, possibly after the partition was assigned again in the same
    /// poll, whose look-up must survive (every assignment replaces it).
    func forget(_ partition: TopicPartition) {
        lock.withLock { _ in engines[partition] = nil }
    }

    /// The engine of a partition's first batch: the one restored at
    /// assignment. A partition never looked up (no store, or replay without
    /// a snapshot) starts empty.
    private func restore(_ partition: TopicPartition) -> PartitionEngine {
        let cached = loaded.withLock { $0.removeValue(forKey: partition) }
        return (cached ?? nil) ?? PartitionEngine(DetectionEngine(settings: settings))
    }
}
