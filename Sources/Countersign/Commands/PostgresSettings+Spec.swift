import Pipeline
import PostgresSink

extension PostgresSettings {
    /// The settings of a `postgres` sink in a pipeline file.
    init(_ spec: PipelineSpec.Sink.Postgres) {
        self.init(
            conninfo: spec.conninfo,
            retentionDays: spec.retentionDays,
            partitionsAheadDays: spec.partitionsAheadDays,
            maintenanceIntervalSeconds: spec.maintenanceIntervalSeconds,
            writers: spec.writers
        )
    }
}
