import Logging
import Synchronization

/// What the source has done so far; read by metrics, tests and the demo.
public struct SourceStatistics: Sendable, Hashable {
    public var consumed = 0
    /// Events every required sink acknowledged.
    public var acknowledged = 0
    public var deadLettered = 0
    /// Of those, messages too large for the dead-letter topic, sent
    /// truncated with their original size and SHA-256 in headers.
    public var truncatedDeadLetters = 0
    /// Of those, events a sink refused for good (a row the database rejected).
    public var sinkRejected = 0
    /// Offset commits that succeeded.
    public var commits = 0
    /// Offset commits the group refused (during a rebalance); the events stay uncommitted.
    public var commitFailures = 0
    /// Failed sink attempts (each followed by a pause and a retry).
    public var sinkFailures = 0
    /// Messages consumed again after a rebalance or restart (at-least-once tail).
    public var redelivered = 0
    /// Messages read again before the group's commit only to rebuild
    /// detection state from an older snapshot (not counted as consumed).
    public var replayedForState = 0
    /// Records of gateway formats that were not MCP calls and were left out
    /// (`source.mapping.other_records: skip`); their messages are in the ledger.
    public var skippedRecords = 0
    /// Most messages held back at once while a sink failed (polled while
    /// pausing, kept for the next attempt): the stall's memory cost.
    public var peakHeldMessages = 0
    /// Alerts raised by detection and handed to the sinks.
    public var alerts = 0
    public var alertsByDetector: [String: Int] = [:]
    /// Events older than a partition engine's watermark (stored, not judged).
    public var lateEvents = 0
    /// Entries in the ledger (its tree size) after the last append.
    public var ledgerSize: UInt64 = 0
    /// True from a failed sink (or ledger) write until the next one succeeds: /readyz says not ready.
    public var writesFailing = false

    public init() {}
}

extension SourceStatistics {
    /// The counts as log fields (`consumed=1000 acknowledged=1000 ...`), one
    /// per count, so that a collector can index them.
    public var fields: Logger.Metadata {
        var fields: Logger.Metadata = [
            "consumed": "\(consumed)", "acknowledged": "\(acknowledged)", "dead_lettered": "\(deadLettered)",
            "truncated_dead_letters": "\(truncatedDeadLetters)", "sink_rejected": "\(sinkRejected)",
            "commits": "\(commits)", "commit_failures": "\(commitFailures)", "sink_failures": "\(sinkFailures)",
            "redelivered": "\(redelivered)", "replayed_for_state": "\(replayedForState)",
            "skipped_records": "\(skippedRecords)",
            "peak_held_messages": "\(peakHeldMessages)", "alerts": "\(alerts)", "late_events": "\(lateEvents)",
            "ledger_size": "\(ledgerSize)",
        ]
        if !alertsByDetector.isEmpty {
            fields["alerts_by_detector"] = .dictionary(alertsByDetector.mapValues { "\($0)" })
        }
        return fields
    }
}
