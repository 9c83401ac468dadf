/// One metric family the worker exports: its name, help, type and label
/// names. Every name a dashboard or an alert rule may use is here, and only
/// here (a test checks the dashboards against this list).
public struct MetricDefinition: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case counter, gauge, histogram
    }

    public let name: String
    public let help: String
    public let kind: Kind
    public let labels: [String]
    /// Histogram bucket bounds.
    public let buckets: [Double]

    init(_ name: String, _ kind: Kind, _ help: String, labels: [String] = [], buckets: [Double] = []) {
        self.name = name
        self.help = help
        self.kind = kind
        self.labels = labels
        self.buckets = buckets
    }

    /// The series names this family exposes (histograms add _bucket, _sum, _count).
    public var seriesNames: [String] {
        kind == .histogram ? [name + "_bucket", name + "_sum", name + "_count"] : [name]
    }
}

/// The catalogue. Label values are bounded: topics and partitions by the
/// assignment, tenants and tools by the caps (beyond them `__other__`),
/// statuses, detectors, reasons and sinks by the code. Member ids are never
/// label values.
public enum MetricsCatalogue {
    // Source
    public static let consumed = MetricDefinition(
        "countersign_events_consumed_total",
        .counter,
        "Messages consumed, per topic and partition.",
        labels: ["topic", "partition"]
    )
    public static let consumerLag = MetricDefinition(
        "countersign_consumer_lag_messages",
        .gauge,
        "Messages in the partition after the last one consumed (high watermark - next offset).",
        labels: ["topic", "partition"]
    )
    public static let acknowledgedOffset = MetricDefinition(
        "countersign_acknowledged_offset",
        .gauge,
        "The next offset every sink acknowledged, per topic and partition (what a commit would store).",
        labels: ["topic", "partition"]
    )
    public static let deadLettered = MetricDefinition(
        "countersign_dead_lettered_total",
        .counter,
        "Messages sent to the dead-letter topic, per reason code.",
        labels: ["reason"]
    )
    public static let skippedRecords = MetricDefinition(
        "countersign_records_skipped_total",
        .counter,
        "Gateway records that were not MCP calls and were left out (source.mapping.other_records: skip), per topic.",
        labels: ["topic"]
    )
    public static let lateEvents = MetricDefinition(
        "countersign_late_events_total",
        .counter,
        "Events older than their partition's watermark: stored, not judged by detection."
    )

    // Events
    public static let events = MetricDefinition(
        "countersign_events_total",
        .counter,
        "Decoded events, per tenant, tool and outcome status.",
        labels: ["tenant", "tool", "status"]
    )
    public static let toolCallDuration = MetricDefinition(
        "countersign_tool_call_duration_seconds",
        .histogram,
        "Tool-call duration reported by the gateway, per tool.",
        labels: ["tool"],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    )
    public static let toolResultBytes = MetricDefinition(
        "countersign_tool_result_bytes",
        .histogram,
        "Tool result size reported by the gateway, per tool.",
        labels: ["tool"],
        buckets: [256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216]
    )

    // Detection
    public static let alerts = MetricDefinition(
        "countersign_alerts_total",
        .counter,
        "Alerts raised, per detector and severity (0-10).",
        labels: ["detector", "severity"]
    )
    public static let detectionKeys = MetricDefinition(
        "countersign_detection_keys",
        .gauge,
        "Keys detection keeps state for, per kind.",
        labels: ["kind"]
    )
    public static let detectionEvictions = MetricDefinition(
        "countersign_detection_evictions_total",
        .counter,
        "Idle detection keys evicted, per kind.",
        labels: ["kind"]
    )

    public static let detectionStateSaves = MetricDefinition(
        "countersign_detection_state_saves_total",
        .counter,
        "Saves of detection state into its store, per occasion (interval, revocation) and result (saved, failed).",
        labels: ["when", "result"]
    )
    public static let detectionStateRestores = MetricDefinition(
        "countersign_detection_state_restores_total",
        .counter,
        "Partitions assigned with a state store, per result: restored, none (nothing saved yet), failed (store unreachable: started without state).",
        labels: ["result"]
    )

    // Sinks
    public static let sinkBatches = MetricDefinition(
        "countersign_sink_batches_total",
        .counter,
        "Batches a sink acknowledged.",
        labels: ["sink"]
    )
    public static let sinkEvents = MetricDefinition(
        "countersign_sink_events_total",
        .counter,
        "Events in the batches a sink acknowledged.",
        labels: ["sink"]
    )
    public static let sinkErrors = MetricDefinition(
        "countersign_sink_errors_total",
        .counter,
        "Failed sink writes (each followed by a pause and a retry).",
        labels: ["sink"]
    )
    public static let sinkLatency = MetricDefinition(
        "countersign_sink_write_duration_seconds",
        .histogram,
        "Time a sink took to acknowledge a batch.",
        labels: ["sink"],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    )
    public static let siemMessages = MetricDefinition(
        "countersign_siem_messages_total",
        .counter,
        "SIEM messages by what happened: sent, spooled, dropped (spool policy), replayed.",
        labels: ["outcome"]
    )
    public static let spoolMessages = MetricDefinition(
        "countersign_siem_spool_messages",
        .gauge,
        "Messages waiting in the SIEM spool."
    )
    public static let spoolBytes = MetricDefinition(
        "countersign_siem_spool_bytes",
        .gauge,
        "Bytes waiting in the SIEM spool."
    )

    // Ledger
    public static let ledgerEntries = MetricDefinition(
        "countersign_ledger_entries",
        .gauge,
        "Entries in the ledger (its tree size)."
    )
    public static let ledgerCheckpointEntries = MetricDefinition(
        "countersign_ledger_checkpoint_entries",
        .gauge,
        "Tree size of the latest signed checkpoint."
    )
    public static let ledgerCheckpointAge = MetricDefinition(
        "countersign_ledger_checkpoint_age_seconds",
        .gauge,
        "Seconds since the latest checkpoint was signed."
    )
    public static let ledgerVerifySuccess = MetricDefinition(
        "countersign_ledger_verify_success",
        .gauge,
        "1 when the last verification of the ledger passed, 0 when it failed."
    )
    public static let ledgerVerifyTimestamp = MetricDefinition(
        "countersign_ledger_verify_timestamp_seconds",
        .gauge,
        "Unix time of the last verification of the ledger."
    )

    // The exporter itself
    public static let labelsFolded = MetricDefinition(
        "countersign_metric_labels_folded_total",
        .counter,
        "Label values folded into __other__ because a cap was reached, per label.",
        labels: ["label"]
    )

    public static let all: [MetricDefinition] = [
        consumed, consumerLag, acknowledgedOffset, deadLettered, skippedRecords, lateEvents, events, toolCallDuration,
        toolResultBytes, alerts, detectionKeys, detectionEvictions, detectionStateSaves, detectionStateRestores,
        sinkBatches, sinkEvents, sinkErrors, sinkLatency,
        siemMessages, spoolMessages, spoolBytes, ledgerEntries, ledgerCheckpointEntries, ledgerCheckpointAge,
        ledgerVerifySuccess, ledgerVerifyTimestamp, labelsFolded,
    ]

    /// Every series name the catalogue exposes.
    public static var seriesNames: Set<String> { Set(all.flatMap(\.seriesNames)) }
}
