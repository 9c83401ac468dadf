import Kafka
import Pipeline

/// What the ordered stages see of a batch: the raw messages, the events
/// decoded from them, and which message each event came from.
struct StagedBatch: Sendable {
    let messages: [KafkaConsumer.Message]
    let events: [ConsumedEvent]
    /// For each event, the position of its message in `messages`.
    let sources: [Int]
    /// For each message, the id of its first event (nil when it did not decode).
    let eventIDs: [String?]
}

/// A stage every batch passes through before the sinks, in order: each
/// sees every partition's messages in offset order, exactly once (the
/// ledger, detection). The stages of one batch run side by side, so a
/// stage returns its change to the batch instead of making it; the source
/// applies the changes once all returned. A stage that throws is retried
/// with back-off by the source, which pauses consumption meanwhile.
protocol OrderedStage: AnyObject, Sendable {
    var name: String { get }
    func process(_ batch: StagedBatch) async throws -> @Sendable (inout EventBatch) -> Void
}

extension LedgerStage: OrderedStage {
    var name: String { "ledger" }

    /// Mirrors every message, valid or not; each event gets its message's leaf index.
    func process(_ batch: StagedBatch) async throws -> @Sendable (inout EventBatch) -> Void {
        let leaves = try await append(batch.messages, eventIDs: batch.eventIDs)
        let sources = batch.sources
        return { batch in
            for index in batch.events.indices { batch.events[index].ledgerIndex = leaves[sources[index]] }
        }
    }
}

extension DetectionStage: OrderedStage {
    var name: String { "detection" }

    /// Runs the events through their partitions' engines; the alerts go with the batch.
    func process(_ batch: StagedBatch) async throws -> @Sendable (inout EventBatch) -> Void {
        let alerts = process(batch.events)
        return { $0.alerts += alerts }
    }
}
