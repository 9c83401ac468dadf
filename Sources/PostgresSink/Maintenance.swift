import AuditEvent
import Logging
import ServiceLifecycle

/// Partition upkeep: creates the day partitions ahead of time and drops the
/// expired ones. Pure with respect to time: `now` is passed in, so a test
/// can run it at any date.
public enum Maintenance {
    public struct Report: Sendable, Hashable {
        public var created: [String] = []
        public var dropped: [String] = []
        public var alertsDeleted = 0
    }

    /// Creates partitions for today and `partitionsAheadDays` days after it;
    /// drops every partition whose whole day is older than `retentionDays`
    /// before today (UTC), and deletes alerts older than that.
    public static func run(
        _ connection: PostgresConnection,
        settings: PostgresSettings,
        now: Timestamp
    ) async throws(PostgresError) -> Report {
        var report = Report()
        try await Schema.migrate(connection)
        let today = DayPartitions.day(of: now)
        let existing = try await DayPartitions.existing(on: connection)
        for day in today...(today + Int64(settings.partitionsAheadDays)) where existing[day] == nil {
            try await DayPartitions.create(day, on: connection)
            report.created.append(DayPartitions.name(day))
        }
        let oldestKept = today - Int64(settings.retentionDays)
        for (day, name) in existing.sorted(by: { $0.key < $1.key }) where day < oldestKept {
            try await connection.execute("DROP TABLE IF EXISTS \(name)")
            report.dropped.append(name)
        }
        let deleted = try await connection.execute(
            "WITH gone AS (DELETE FROM alerts WHERE occurred_at < $1 RETURNING 1) SELECT count(*) FROM gone",
            [DayPartitions.date(oldestKept)]
        )
        report.alertsDeleted = Int(deleted.first?.first.flatMap { $0 } ?? "0") ?? 0
        return report
    }
}

/// Runs ``Maintenance`` at start and then every interval, on its own
/// connection, for as long as the worker runs. A failure is logged and
/// retried at the next interval; it never stops the worker.
public final class PostgresMaintenanceService: Service, Sendable {
    let settings: PostgresSettings
    let logger: Logger
    let clock: @Sendable () -> Timestamp

    public init(settings: PostgresSettings, logger: Logger, clock: @escaping @Sendable () -> Timestamp) {
        self.settings = settings
        self.logger = logger
        self.clock = clock
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(settings.conninfo)
                let report = try await Maintenance.run(connection, settings: settings, now: clock())
                for name in report.dropped {
                    logger.notice("retention dropped an expired partition", metadata: ["partition": "\(name)"])
                }
                if !report.created.isEmpty {
                    logger.info("partitions created ahead", metadata: ["partitions": "\(report.created)"])
                }
            } catch {
                logger.warning("partition maintenance failed; retrying later", metadata: ["error": "\(error)"])
            }
            let interval = settings.maintenanceIntervalSeconds
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
        }
    }
}
