import Detection
import Kafka
import Pipeline
import Synchronization
import Telemetry

/// The one place the worker counts: each call adds to the totals the run
/// summary, readiness and the tests read (``SourceStatistics``) and, when
/// /metrics is served, to the same figures' Prometheus instruments, so the
/// two can never disagree.
final class Books: Sendable {
    private let totals = Mutex(SourceStatistics())
    /// The instruments, for the gauges the source sets itself (lag, detection keys, the ledger).
    let metrics: PipelineMetrics?
    /// What is failing now, for /readyz.
    let health: Health

    init(metrics: PipelineMetrics?, health: Health = Health()) {
        self.metrics = metrics
        self.health = health
    }

    var snapshot: SourceStatistics { totals.withLock { $0 } }

    private func update(_ body: (inout SourceStatistics) -> Void) { totals.withLock { body(&$0) } }

    /// A batch consumed: its runs per partition and the events decoded from it.
    func consumed(_ runs: [TopicPartition: OffsetRun], events: [ConsumedEvent]) {
        let count = runs.values.reduce(0) { $0 + $1.count }
        update { $0.consumed += count }
        guard let metrics else { return }
        for (partition, run) in runs {
            metrics.consumed(topic: partition.topic, partition: partition.partition, count: run.count)
        }
        metrics.events(events)
    }

    /// Every required sink acknowledged a batch.
    func acknowledged(_ runs: [TopicPartition: OffsetRun], _ batch: EventBatch) {
        update {
            $0.acknowledged += batch.events.count
            $0.alerts += batch.alerts.count
            for alert in batch.alerts { $0.alertsByDetector[alert.detector.rawValue, default: 0] += 1 }
        }
        guard let metrics else { return }
        for (partition, run) in runs {
            metrics.acknowledged(topic: partition.topic, partition: partition.partition, nextOffset: run.last + 1)
        }
        metrics.alerts(batch.alerts)
    }

    /// Messages the dead-letter topic acknowledged.
    func deadLettered(_ rejected: [RejectedMessage]) {
        update {
            $0.deadLettered += rejected.count
            $0.sinkRejected += rejected.count { $0.code == "sink_rejected" }
        }
        for message in rejected { metrics?.deadLettered(reason: message.code) }
    }

    func truncatedDeadLetter() { update { $0.truncatedDeadLetters += 1 } }

    /// A sink's write, or a stage (the ledger, detection), failed: counted,
    /// and the part reads as failing in /readyz until it succeeds again.
    func writeFailed(_ part: String, isSink: Bool, error: any Error) {
        update { $0.sinkFailures += 1 }
        if isSink { metrics?.sinkFailed(part) }
        health.set(part, .writes, failing: "writes failing: \(error)")
    }

    func writeSucceeded(_ part: String) {
        health.set(part, .writes, failing: nil)
    }

    func sinkWrote(_ sink: String, events: Int, seconds: Double) {
        metrics?.sinkWrote(sink, events: events, seconds: seconds)
    }

    func committed() { update { $0.commits += 1 } }

    func commitRefused() { update { $0.commitFailures += 1 } }

    func lateEvents(total: Int) {
        update { $0.lateEvents = total }
        metrics?.lateEvents(total: total)
    }

    func ledgerSize(_ size: UInt64) { update { $0.ledgerSize = size } }

    func held(_ count: Int) { update { $0.peakHeldMessages = max($0.peakHeldMessages, count) } }

    func replayedForState(_ count: Int) { update { $0.replayedForState += count } }

    func skippedRecords(_ byTopic: [String: Int]) {
        update { $0.skippedRecords += byTopic.values.reduce(0, +) }
        for (topic, count) in byTopic { metrics?.skippedRecords(topic: topic, count: count) }
    }

    /// What the delivery machine says after each event.
    func delivery(failing: Bool, redelivered: Int) {
        update {
            $0.writesFailing = failing
            $0.redelivered = redelivered
        }
    }
}
