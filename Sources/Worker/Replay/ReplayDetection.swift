import AuditEvent
import Detection
import Foundation
import GatewayFormats
import Kafka
import Pipeline

/// Detection for `countersign replay`: the worker's own stage (one engine
/// per partition, fed in offset order, exactly once), so that a replay of
/// what `run` consumed raises what `run` raised; the worker's snapshots are
/// read, never written.
/// `startingOffset` may be called from librdkafka's thread (the stage locks); the
/// rest from the one task that feeds it.
public final class ReplayDetection: @unchecked Sendable {
    private let stage: DetectionStage
    private var seeded: [TopicPartition: Bool] = [:]

    /// With a state store and a time, a partition whose saved engine
    /// (the worker's `detectors.state_store`) knew nothing newer than
    /// `snapshotsBefore` starts from it: reading resumes at the engine's
    /// next offset and everything after it is fed, so no warm-up is needed.
    /// Nothing is ever saved.
    public init(
        settings: DetectionSettings,
        stateStore: PipelineSpec.StateStore? = nil,
        snapshotsBefore: Timestamp? = nil
    ) {
        var store: (any DetectionStateStore)?
        var accept: (@Sendable (DetectionEngine) -> Bool)?
        if let stateStore, let before = snapshotsBefore {
            store = (try? stateStore.make(readOnly: true)) ?? nil
            let limit = before.microsecondsSinceEpoch
            accept = { engine in engine.newest != .min && engine.newest < limit }
        }
        stage = DetectionStage(settings: settings, store: store, acceptSnapshot: accept)
    }

    /// Where a partition's reading starts when its engine comes from a
    /// snapshot (its next offset), or nil. Safe on librdkafka's thread.
    public func startingOffset(_ partition: TopicPartition) -> Int64? { stage.startingOffset(partition) }

    /// Whether the partition's engine starts from a snapshot.
    public func seeded(_ partition: TopicPartition) -> Bool {
        if let known = seeded[partition] { return known }
        let found = stage.startingOffset(partition) != nil
        seeded[partition] = found
        return found
    }

    /// Partitions that started from a snapshot so far.
    public var seededPartitions: Int { seeded.values.filter { $0 }.count }

    /// Feeds events (each partition's in offset order); returns the alerts they raised.
    public func process(_ events: [ConsumedEvent]) -> [Alert] { stage.process(events) }

    /// Events older than their engine's watermark so far (judged by no detector).
    public var lateEvents: Int { stage.lateEvents }
}
