import AuditEvent
import Foundation
import Pipeline

/// `type: postgres` in a pipeline file: the keys and their defaults are
/// ``PostgresSettings``'s own.
extension PostgresSink: SinkKind {
    public static let type = "postgres"

    public static func settings(from entry: inout YAMLObject) throws(PipelineFileError) -> PostgresSettings {
        try entry.only([
            "type", "conninfo", "retention_days", "partitions_ahead_days", "maintenance_interval_seconds", "writers",
        ])
        let defaults = PostgresSettings()
        return PostgresSettings(
            conninfo: try entry.optionalString("conninfo") ?? defaults.conninfo,
            retentionDays: try entry.integer("retention_days", default: defaults.retentionDays, in: 1...36_500),
            partitionsAheadDays: try entry.integer(
                "partitions_ahead_days",
                default: defaults.partitionsAheadDays,
                in: 0...366
            ),
            maintenanceIntervalSeconds: try entry.integer(
                "maintenance_interval_seconds",
                default: defaults.maintenanceIntervalSeconds,
                in: 10...86_400
            ),
            writers: try entry.integer("writers", default: defaults.writers, in: 1...16)
        )
    }

    /// The sink, and the service that creates day partitions ahead and drops expired ones.
    public static func build(_ settings: PostgresSettings, context: SinkContext) -> BuiltSink {
        let maintenance = PostgresMaintenanceService(settings: settings, logger: context.logger) {
            Timestamp(microsecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1_000_000))
        }
        return BuiltSink(sink: PostgresSink(settings: settings, logger: context.logger), services: [maintenance])
    }
}
