import AuditEvent
import Detection
import Kafka
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
/// fed again. With a state directory, each engine
/// is saved with the next offset it expects, and a worker that is assigned
/// the partition later starts reading there: events between that offset
/// and the group's commit are re-delivered to the sinks (which de-duplicate
/// on event_id) and re-fed to the restored engine, which then continues
/// with exactly the alerts an uninterrupted engine would give.
final class DetectionStage: @unchecked Sendable {
    let settings: DetectionSettings
    let store: SnapshotStore?
    private var engines: [TopicPartition: PartitionEngine] = [:]
    /// Held while engines are fed, saved, counted or forgotten: a snapshot
    /// taken while a batch is half fed would not match its offset.
    private let lock = Mutex<Void>(())
    /// Snapshots read at assignment (on librdkafka's thread), kept for the
    /// first batch of the partition so that the file is read once.
    private let loaded = Mutex<[TopicPartition: SnapshotStore.Saved]>([:])
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
    }

    /// Which saved engines may be restored (replay takes only those older
    /// than its range); nil restores every one.
    let acceptSnapshot: (@Sendable (DetectionEngine) -> Bool)?

    init(
        settings: DetectionSettings,
        store: SnapshotStore?,
        acceptSnapshot: (@Sendable (DetectionEngine) -> Bool)? = nil
    ) {
        self.settings = settings
        self.store = store
        self.acceptSnapshot = acceptSnapshot
    }

    /// Feeds each event not seen before to its partition's engine; returns the alerts, in event order.
    func process(_ events: [ConsumedEvent]) -> [Alert] {
        lock.withLock { _ in feed(events) }
    }

    private func feed(_ events: [ConsumedEvent]) -> [Alert] {
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
    func startingOffset(_ partition: TopicPartition) -> Int64? {
        guard let saved = store?.load(partition) else { return nil }
        if let acceptSnapshot {
            guard let engine = try? DetectionEngine(snapshot: saved.snapshot, settings: settings),
                acceptSnapshot(engine)
            else { return nil }
        }
        loaded.withLock { $0[partition] = saved }
        return saved.nextOffset
    }

    /// Saves every engine with the next offset it expects.
    func save() throws {
        guard let store else { return }
        let saved = lock.withLock { _ in
            engines.sorted(by: { $0.key < $1.key }).filter { $0.value.lastOffset >= 0 }.map {
                ($0.key, $0.value.lastOffset + 1, $0.value.engine.snapshot())
            }
        }
        for (partition, next, snapshot) in saved { try store.save(partition, nextOffset: next, snapshot: snapshot) }
    }

    /// Forgets the engine of a partition this worker no longer owns.
    func forget(_ partition: TopicPartition) {
        lock.withLock { _ in engines[partition] = nil }
        _ = loaded.withLock { $0.removeValue(forKey: partition) }
    }

    private func restore(_ partition: TopicPartition) -> PartitionEngine {
        let cached = loaded.withLock { $0.removeValue(forKey: partition) }
        if let saved = cached ?? store?.load(partition),
            let engine = try? DetectionEngine(snapshot: saved.snapshot, settings: settings),
            acceptSnapshot?(engine) ?? true
        {
            return PartitionEngine(engine: engine, lastOffset: saved.nextOffset - 1, lastIndex: .max)
        }
        return PartitionEngine(engine: DetectionEngine(settings: settings), lastOffset: -1, lastIndex: .max)
    }
}
