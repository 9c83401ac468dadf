import AuditEvent
import Pipeline

/// Counts events by tenant, tool and outcome, for the demo and for a quick
/// look at a topic. Bounded: after `maxKeys` distinct tenants or tools, the
/// rest count under `__other__`.
public actor SummarySink: Sink {
    public nonisolated let name = "summary"
    public let maxKeys: Int
    private(set) var total = 0
    private var byTenant: [String: Int] = [:]
    private var byTool: [String: Int] = [:]
    private var byStatus: [String: Int] = [:]
    private var alertsByDetector: [String: Int] = [:]
    /// The first alerts, one line each, for the report (bounded).
    private var alertLines: [String] = []

    public init(maxKeys: Int = 1_000) {
        self.maxKeys = maxKeys
    }

    public func write(_ batch: EventBatch) async throws -> SinkOutcome {
        for consumed in batch.events {
            let event = consumed.event
            total += 1
            Self.count(event.tenantID ?? "(none)", in: &byTenant, cap: maxKeys)
            Self.count(event.target.tool ?? "(\(event.kind.rawValue))", in: &byTool, cap: maxKeys)
            byStatus[event.outcome.status.rawValue, default: 0] += 1
        }
        for alert in batch.alerts {
            alertsByDetector[alert.detector.rawValue, default: 0] += 1
            if alertLines.count < 20 {
                alertLines.append(
                    "    \(alert.at.rfc3339)  \(alert.detector.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0))"
                        + " severity \(alert.severity)  \(alert.scope.rawValue) \(alert.key)"
                )
            }
        }
        return .accepted
    }

    private static func count(_ key: String, in table: inout [String: Int], cap: Int) {
        if table[key] != nil || table.count < cap {
            table[key, default: 0] += 1
        } else {
            table["__other__", default: 0] += 1
        }
    }

    /// A few readable lines: totals, then the largest counts of each kind.
    public func report(top: Int = 5) -> String {
        func line(_ title: String, _ table: [String: Int]) -> String {
            let entries = table.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
            let shown = entries.prefix(top).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "  \(title): \(shown)\(entries.count > top ? ", ... (\(entries.count) in all)" : "")"
        }
        var lines = [
            "summary: \(total) events",
            line("by tenant", byTenant),
            line("by tool", byTool),
            line("by outcome", byStatus),
        ]
        let alerts = alertsByDetector.values.reduce(0, +)
        if alerts > 0 {
            lines.append(line("alerts (\(alerts)) by detector", alertsByDetector))
            lines += alertLines
            if alerts > alertLines.count { lines.append("    ... \(alerts - alertLines.count) more") }
        }
        return lines.joined(separator: "\n")
    }
}

extension SummarySink: SinkKind {
    public static let type = "summary"

    public static func settings(from entry: inout YAMLObject) throws(PipelineFileError) {
        try entry.only(["type"])
    }

    public static func build(_ settings: Void, context: SinkContext) -> BuiltSink {
        let sink = SummarySink()
        return BuiltSink(sink: sink) { [await sink.report()] }
    }
}
