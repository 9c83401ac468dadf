import AuditEvent
import Detection
import Foundation
import GatewayFormats
import Kafka
import Pipeline
import Worker

/// The part of a replay that does not depend on where the messages come
/// from: each message decoded with its topic's format, its events fed to
/// their partition's engine (the worker's own detection stage), the alerts
/// whose time is in range kept. Sources hand messages over in each
/// partition's offset order.
final class Replayer {
    let decoders: TopicDecoders
    let detection: ReplayDetection
    let range: ReplayRange
    let topics: Set<String>?
    let partitions: Set<Int32>?
    private var pending: [ConsumedEvent] = []
    /// Where the range's events and alerts also go (`--sink`), if anywhere.
    var sinks: ReplaySinks?
    private(set) var alerts: [Alert] = []
    private(set) var messages = 0
    private(set) var events = 0
    private(set) var fed = 0
    private(set) var undecodable = 0
    /// Alerts kept in memory until the source is verified: at most this many.
    static let maxAlerts = 1_000_000

    init(spec: PipelineSpec, range: ReplayRange, topics: Set<String>?, partitions: Set<Int32>?) throws {
        decoders = try TopicDecoders(spec)
        detection = ReplayDetection(
            settings: spec.detection,
            stateStore: spec.resolvedStateStore,
            snapshotsBefore: range.from
        )
        self.range = range
        self.topics = topics
        self.partitions = partitions
    }

    func wants(topic: String, partition: Int32) -> Bool {
        (topics?.contains(topic) ?? true) && (partitions?.contains(partition) ?? true)
    }

    /// One consumed message, in its partition's offset order.
    func add(topic: String, partition: Int32, offset: Int64, bytes: [UInt8]) async throws {
        guard wants(topic: topic, partition: partition) else { return }
        messages += 1
        let decoded: DecodedMessage
        do {
            decoded = try decoders.decode(topic: topic, bytes)
        } catch {
            // The worker dead-lettered it: no event, nothing to judge.
            undecodable += 1
            return
        }
        let seeded = range.from != nil && detection.seeded(TopicPartition(topic: topic, partition: partition))
        for (index, event) in decoded.events.enumerated() {
            events += 1
            // A partition restored from a snapshot takes everything after it (its warm-up).
            guard seeded ? range.to.map({ event.occurredAt < $0 }) ?? true : range.feeds(event.occurredAt) else {
                continue
            }
            pending.append(
                ConsumedEvent(event: event, topic: topic, partition: partition, offset: offset, index: index)
            )
        }
        if pending.count >= 2_000 { try await flush() }
    }

    func flush() async throws {
        guard !pending.isEmpty else { return }
        fed += pending.count
        let raised = detection.process(pending).filter { range.reports($0.event.occurredAt) }
        alerts += raised
        if let sinks {
            let events = pending.filter { range.reports($0.event.occurredAt) }
            try await sinks.write(EventBatch(events: events, alerts: raised))
        }
        pending.removeAll(keepingCapacity: true)
        if alerts.count > Self.maxAlerts {
            throw ReplayError.usage(
                "more than \(Self.maxAlerts) alerts in the range: replay a shorter range (alerts are held until the source is verified)"
            )
        }
    }
}
