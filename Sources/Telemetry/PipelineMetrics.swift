import AuditEvent
import Detection
import Foundation
import Pipeline
import Prometheus
import Synchronization

extension MetricDefinition {
    /// The registry's name and help for this family.
    var descriptor: MetricNameDescriptor { MetricNameDescriptor(metricName: name, unitName: "", helpText: help) }
}

/// The worker's instruments, all in one swift-prometheus registry and all
/// named by the catalogue. Work is done per batch (events grouped by their
/// labels first), never a registry lookup per event and label set.
public final class PipelineMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let tenants: LabelCap
    public let tools: LabelCap
    /// Last cumulative values seen, for counters fed from totals.
    private let totals = Mutex<[String: Int]>([:])
    private let checkpointTime = Mutex<Double?>(nil)

    public init(
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        tenantLimit: Int = 100,
        toolLimit: Int = 200
    ) {
        self.registry = registry
        tenants = LabelCap(limit: tenantLimit)
        tools = LabelCap(limit: toolLimit)
    }

    // MARK: Instruments by catalogue entry

    func counter(_ definition: MetricDefinition, _ labels: [(String, String)] = []) -> Counter {
        labels.isEmpty
            ? registry.makeCounter(descriptor: definition.descriptor)
            : registry.makeCounter(descriptor: definition.descriptor, labels: labels)
    }

    func gauge(_ definition: MetricDefinition, _ labels: [(String, String)] = []) -> Gauge {
        labels.isEmpty
            ? registry.makeGauge(descriptor: definition.descriptor)
            : registry.makeGauge(descriptor: definition.descriptor, labels: labels)
    }

    func histogram(_ definition: MetricDefinition, _ labels: [(String, String)]) -> ValueHistogram {
        registry.makeValueHistogram(descriptor: definition.descriptor, labels: labels, buckets: definition.buckets)
    }

    /// `count` says whether a fold is counted: once per event (on the
    /// events counter), not again for each histogram of the same event.
    private func tenant(_ raw: String?, count: Int = 0) -> String { capped(raw ?? "-", tenants, "tenant", count) }
    private func tool(_ raw: String?, count: Int = 0) -> String { capped(raw ?? "-", tools, "tool", count) }

    private func capped(_ raw: String, _ cap: LabelCap, _ label: String, _ count: Int) -> String {
        let (value, folded) = cap.value(raw)
        if folded && count > 0 {
            counter(MetricsCatalogue.labelsFolded, [("label", label)]).increment(by: Int64(count))
        }
        return value
    }

    /// Adds the growth of a total kept elsewhere to a counter.
    private func advance(_ key: String, to total: Int, _ counter: @autoclosure () -> Counter) {
        let delta = totals.withLock { last -> Int in
            let delta = total - (last[key] ?? 0)
            last[key] = total
            return delta
        }
        if delta > 0 { counter().increment(by: Int64(delta)) }
    }

    // MARK: Source

    public func consumed(topic: String, partition: Int32, count: Int) {
        counter(MetricsCatalogue.consumed, [("topic", topic), ("partition", String(partition))])
            .increment(by: Int64(count))
    }

    public func lag(topic: String, partition: Int32, messages: Int64) {
        gauge(MetricsCatalogue.consumerLag, [("topic", topic), ("partition", String(partition))])
            .set(Double(max(0, messages)))
    }

    public func acknowledged(topic: String, partition: Int32, nextOffset: Int64) {
        gauge(MetricsCatalogue.acknowledgedOffset, [("topic", topic), ("partition", String(partition))])
            .set(Double(nextOffset))
    }

    public func skippedRecords(topic: String, count: Int) {
        counter(MetricsCatalogue.skippedRecords, [("topic", topic)]).increment(by: Int64(count))
    }

    public func deadLettered(reason: String, count: Int = 1) {
        counter(MetricsCatalogue.deadLettered, [("reason", reason)]).increment(by: Int64(count))
    }

    public func lateEvents(total: Int) {
        advance("late", to: total, self.counter(MetricsCatalogue.lateEvents))
    }

    // MARK: Events and alerts

    /// Counts a batch by tenant, tool and status; records durations and result sizes by tool.
    public func events(_ batch: [ConsumedEvent]) {
        struct Key: Hashable {
            var tenant: String?
            var tool: String?
            var status: OutcomeStatus
        }
        var counts: [Key: Int] = [:]
        var durations: [String?: [Double]] = [:]
        var sizes: [String?: [Double]] = [:]
        for consumed in batch {
            let event = consumed.event
            counts[Key(tenant: event.tenantID, tool: event.target.tool, status: event.outcome.status), default: 0] += 1
            if let duration = event.durationMs { durations[event.target.tool, default: []].append(duration / 1_000) }
            if let bytes = event.outcome.resultBytes { sizes[event.target.tool, default: []].append(Double(bytes)) }
        }
        // In a fixed order, so that which values a cap keeps does not depend on hashing.
        let ordered = counts.sorted {
            ($0.key.tenant ?? "", $0.key.tool ?? "", $0.key.status.rawValue)
                < ($1.key.tenant ?? "", $1.key.tool ?? "", $1.key.status.rawValue)
        }
        for (key, count) in ordered {
            counter(
                MetricsCatalogue.events,
                [
                    ("tenant", tenant(key.tenant, count: count)), ("tool", tool(key.tool, count: count)),
                    ("status", key.status.rawValue),
                ]
            ).increment(by: Int64(count))
        }
        for (name, values) in durations {
            let histogram = histogram(MetricsCatalogue.toolCallDuration, [("tool", tool(name))])
            for value in values { histogram.record(value) }
        }
        for (name, values) in sizes {
            let histogram = histogram(MetricsCatalogue.toolResultBytes, [("tool", tool(name))])
            for value in values { histogram.record(value) }
        }
    }

    public func alerts(_ alerts: [Alert]) {
        struct Key: Hashable {
            var detector: String
            var severity: Int
            var tenant: String?
        }
        var counts: [Key: Int] = [:]
        for alert in alerts {
            counts[
                Key(detector: alert.detector.rawValue, severity: alert.severity, tenant: alert.tenant),
                default: 0
            ] += 1
        }
        for (key, count) in counts {
            counter(
                MetricsCatalogue.alerts,
                [("detector", key.detector), ("severity", String(key.severity)), ("tenant", tenant(key.tenant))]
            ).increment(by: Int64(count))
        }
    }

    /// Series that must exist from the start, at zero: dashboards show
    /// "none" rather than "no data", and rates work from the first scrape.
    public func prepare(sinks: [String]) {
        for sink in sinks { _ = counter(MetricsCatalogue.sinkErrors, [("sink", sink)]) }
        _ = counter(MetricsCatalogue.lateEvents)
        for label in ["tenant", "tool"] { _ = counter(MetricsCatalogue.labelsFolded, [("label", label)]) }
    }

    /// Detection's state size and evictions (cumulative totals).
    public func detection(keys: [String: Int], evictions: [String: Int]) {
        for (kind, count) in keys { gauge(MetricsCatalogue.detectionKeys, [("kind", kind)]).set(Double(count)) }
        for (kind, total) in evictions {
            advance("evicted.\(kind)", to: total, self.counter(MetricsCatalogue.detectionEvictions, [("kind", kind)]))
        }
    }

    /// A save of detection state: `when` interval or revocation.
    public func detectionStateSaved(when: String, ok: Bool) {
        counter(MetricsCatalogue.detectionStateSaves, [("when", when), ("result", ok ? "saved" : "failed")]).increment()
    }

    /// A partition's state looked up at assignment: restored, none or failed.
    public func detectionStateRestored(_ result: String) {
        counter(MetricsCatalogue.detectionStateRestores, [("result", result)]).increment()
    }

    // MARK: Sinks

    public func sinkWrote(_ sink: String, events: Int, seconds: Double) {
        counter(MetricsCatalogue.sinkBatches, [("sink", sink)]).increment()
        counter(MetricsCatalogue.sinkEvents, [("sink", sink)]).increment(by: Int64(events))
        histogram(MetricsCatalogue.sinkLatency, [("sink", sink)]).record(seconds)
    }

    public func sinkFailed(_ sink: String) {
        counter(MetricsCatalogue.sinkErrors, [("sink", sink)]).increment()
    }

    /// The SIEM sink's totals (sent, spooled, dropped, replayed) and its spool.
    public func siem(sent: Int, spooled: Int, dropped: Int, replayed: Int, spoolMessages: Int, spoolBytes: Int) {
        for (outcome, total) in [("sent", sent), ("spooled", spooled), ("dropped", dropped), ("replayed", replayed)] {
            advance("siem.\(outcome)", to: total, self.counter(MetricsCatalogue.siemMessages, [("outcome", outcome)]))
        }
        gauge(MetricsCatalogue.spoolMessages).set(Double(spoolMessages))
        gauge(MetricsCatalogue.spoolBytes).set(Double(spoolBytes))
    }

    // MARK: Ledger

    public func ledger(entries: UInt64, checkpointEntries: UInt64, checkpointAt: Date?) {
        gauge(MetricsCatalogue.ledgerEntries).set(Double(entries))
        gauge(MetricsCatalogue.ledgerCheckpointEntries).set(Double(checkpointEntries))
        if let checkpointAt { checkpointTime.withLock { $0 = checkpointAt.timeIntervalSince1970 } }
        refreshAges()
    }

    public func ledgerVerified(success: Bool, at time: Date) {
        gauge(MetricsCatalogue.ledgerVerifySuccess).set(success ? 1.0 : 0.0)
        gauge(MetricsCatalogue.ledgerVerifyTimestamp).set(time.timeIntervalSince1970)
    }

    /// Values that depend on the time of the scrape.
    public func refreshAges(now: Date = Date()) {
        if let time = checkpointTime.withLock({ $0 }) {
            gauge(MetricsCatalogue.ledgerCheckpointAge).set(max(0, now.timeIntervalSince1970 - time))
        }
    }

    // MARK: Exposition

    /// The text exposition, families sorted by name (stable for diffs and tests).
    public func exposition() -> [UInt8] {
        refreshAges()
        return Self.sortedFamilies(registry.emitToBuffer())
    }

    /// The text exposition sorted: families by name; within one, the
    /// comments, then the samples by their label set without `le` (a
    /// histogram's lines for one label set keep their order, le ascending).
    /// Works on bytes: it runs at every scrape.
    static func sortedFamilies(_ text: [UInt8]) -> [UInt8] {
        struct Sample {
            var key: [UInt8]
            var index: Int
            var line: Range<Int>
        }
        struct Family {
            var name: ArraySlice<UInt8>
            var comments: [Range<Int>] = []
            var samples: [Sample] = []
        }
        let help = Array("# HELP ".utf8)
        let type = Array("# TYPE ".utf8)
        var families: [Family] = []
        var previousWasHelp = false
        var start = 0
        var lineIndex = 0
        while start < text.count {
            let end = text[start...].firstIndex(of: 0x0A) ?? text.count
            let line = start..<end
            let isHelp = text[line].starts(with: help)
            let isType = text[line].starts(with: type)
            if isHelp || (isType && !previousWasHelp) || families.isEmpty {
                let nameStart = min(start + 7, end)
                let nameEnd = text[nameStart..<end].firstIndex(of: 0x20) ?? end
                families.append(Family(name: text[nameStart..<nameEnd]))
            }
            if isHelp || isType || text[line].first == UInt8(ascii: "#") {
                families[families.count - 1].comments.append(line)
            } else {
                families[families.count - 1].samples.append(
                    Sample(key: seriesKey(text[line]), index: lineIndex, line: line)
                )
            }
            previousWasHelp = isHelp
            lineIndex += 1
            start = end + 1
        }
        families.sort { $0.name.lexicographicallyPrecedes($1.name) }
        var out: [UInt8] = []
        out.reserveCapacity(text.count + 1)
        for var family in families {
            family.samples.sort {
                $0.key == $1.key ? $0.index < $1.index : $0.key.lexicographicallyPrecedes($1.key)
            }
            for line in family.comments + family.samples.map(\.line) {
                out += text[line]
                out.append(0x0A)
            }
        }
        return out
    }

    /// A sample line's label set without the `le` pair.
    static func seriesKey(_ line: ArraySlice<UInt8>) -> [UInt8] {
        guard let open = line.firstIndex(of: UInt8(ascii: "{")),
            let close = line.lastIndex(of: UInt8(ascii: "}"))
        else { return [] }
        var key = Array(line[line.index(after: open)..<close])
        let le = Array("le=\"".utf8)
        if let found = key.firstRange(of: le), let quote = key[found.upperBound...].firstIndex(of: UInt8(ascii: "\"")) {
            // With the comma that joined it to its neighbour.
            var lower = found.lowerBound
            var upper = quote
            if lower > 0, key[lower - 1] == UInt8(ascii: ",") {
                lower -= 1
            } else if upper + 1 < key.count, key[upper + 1] == UInt8(ascii: ",") {
                upper += 1
            }
            key.removeSubrange(lower...upper)
        }
        return key
    }
}
