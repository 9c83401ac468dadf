import AuditEvent
import Detection
import Logging
import Pipeline

/// Where and how the hot tier is written.
public struct PostgresSettings: Sendable, Hashable {
    /// A libpq connection string; empty uses the PG* environment variables.
    /// TLS settings (`sslmode`, `sslrootcert`, ...) pass through.
    public var conninfo: String
    /// Partitions whose whole day is older than this many days are dropped.
    public var retentionDays: Int
    /// Day partitions created ahead of the current day.
    public var partitionsAheadDays: Int
    /// How often retention and partition creation run.
    public var maintenanceIntervalSeconds: Int
    /// Connections writing a batch's events in parallel, each its share of
    /// the Kafka partitions in its own transaction: the server parses jsonb
    /// and updates indexes in one process per connection.
    public var writers: Int

    public init(
        conninfo: String = "",
        retentionDays: Int = 90,
        partitionsAheadDays: Int = 7,
        maintenanceIntervalSeconds: Int = 3_600,
        writers: Int = 2
    ) {
        self.writers = Swift.max(1, writers)
        self.conninfo = conninfo
        self.retentionDays = retentionDays
        self.partitionsAheadDays = partitionsAheadDays
        self.maintenanceIntervalSeconds = maintenanceIntervalSeconds
    }
}

/// Writes events and alerts to PostgreSQL, rows sent with COPY (binary for
/// events, so the server parses no text; text for the few alerts): each writer
/// connection writes its share of a batch (by Kafka partition) in one
/// transaction; the batch is acknowledged once every share committed.
///
/// Idempotent: the fast path COPYs straight into `events`; if the batch
/// holds an event already stored (a re-delivery), the primary key
/// (event_id, occurred_at) refuses it, the transaction is rolled back, and
/// the batch goes again through a temporary staging table with
/// `INSERT ... ON CONFLICT DO NOTHING`. A row the database refuses for its
/// data (a NUL escape in JSON, a value out of range) is isolated by halving
/// the batch and returned as a rejection; the rest commit. So is every row
/// of a day whose partition the server refuses to create. When the server
/// is unreachable the write throws (not acknowledged) and the next attempt
/// reconnects.
public actor PostgresSink: Sink {
    public nonisolated let name = "postgres"
    public nonisolated let settings: PostgresSettings
    private let logger: Logger
    private var connections: [PostgresConnection?]
    /// Days whose partition is known to exist.
    private var days: Set<Int64> = []
    /// Connections whose staging tables exist.
    private var staged: Set<ObjectIdentifier> = []

    /// Rows written, batches committed, and writer shares that took the
    /// slow (re-delivery) path; for metrics and tests.
    public private(set) var rowsWritten = 0
    public private(set) var batches = 0
    public private(set) var redeliveredBatches = 0

    public init(settings: PostgresSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        connections = Array(repeating: nil, count: settings.writers)
    }

    /// The COPY text the sink sends for these events, and its column list
    /// (for benchmarks against psql).
    public static func copyText(_ events: [ConsumedEvent]) -> [UInt8] { EventRows.encode(events[...]) }
    public static let eventColumns = EventRows.columns

    /// A connection of its own and `SELECT 1`: the server answers and
    /// accepts our credentials (and TLS, when the conninfo asks for it).
    public nonisolated func probe() async throws {
        let connection = try await PostgresConnection.connect(settings.conninfo)
        try await connection.execute("SELECT 1")
    }

    public func write(_ batch: EventBatch) async throws -> SinkOutcome {
        let first = try await connected(0)
        let refusedDays: [Int64: String]
        do {
            refusedDays = try await ensurePartitions(
                batch.events.map { DayPartitions.day(of: $0.event.occurredAt) },
                first
            )
        } catch {
            drop(0, first, error)
            throw error
        }
        // Each writer takes the events of its share of the partitions, in
        // order; events of a day whose partition the server refused are
        // rejections (the row's content is at fault, not the sink).
        var groups = Array(repeating: [ConsumedEvent](), count: settings.writers)
        var refused: [SinkRejection] = []
        for event in batch.events {
            if !refusedDays.isEmpty, let reason = refusedDays[DayPartitions.day(of: event.event.occurredAt)] {
                refused.append(SinkRejection(event: event, reason: reason))
                continue
            }
            groups[Int(event.partition) % settings.writers].append(event)
        }
        let rejected = try await withThrowingTaskGroup(of: [SinkRejection].self) { tasks in
            for (slot, events) in groups.enumerated() where !events.isEmpty {
                tasks.addTask { try await self.write(events, slot: slot) }
            }
            var all = refused
            for try await some in tasks { all += some }
            return all
        }
        if !batch.alerts.isEmpty {
            do {
                try await insertAlerts(batch.alerts, try await connected(0))
            } catch {
                if let connection = connections[0] { drop(0, connection, error) }
                throw error
            }
        }
        batches += 1
        return SinkOutcome(rejected: rejected)
    }

    private func write(_ events: [ConsumedEvent], slot: Int) async throws(PostgresError) -> [SinkRejection] {
        let connection = try await connected(slot)
        var rejected: [SinkRejection] = []
        do {
            try await insert(events[...], connection, rejected: &rejected)
        } catch {
            drop(slot, connection, error)
            throw error
        }
        return rejected
    }

    /// Forgets a connection that failed in a way that may have broken it.
    private func drop(_ slot: Int, _ connection: PostgresConnection, _ error: any Error) {
        if (error as? PostgresError)?.isConnectionFailure ?? true || !connection.isHealthy {
            connections[slot] = nil
            staged.remove(ObjectIdentifier(connection))
        }
    }

    private func connected(_ slot: Int) async throws(PostgresError) -> PostgresConnection {
        if let connection = connections[slot], connection.isHealthy { return connection }
        if let stale = connections[slot] { staged.remove(ObjectIdentifier(stale)) }
        connections[slot] = nil
        let fresh = try await PostgresConnection.connect(settings.conninfo)
        if slot == 0 { try await Schema.migrate(fresh) }
        connections[slot] = fresh
        return fresh
    }

    /// Creates the missing day partitions. A day the server refuses for the
    /// day itself (a date it cannot hold, a clash with a partition someone
    /// made by hand) comes back with the reason, so that only that day's rows
    /// are refused; any other failure is the sink's and throws.
    private func ensurePartitions(
        _ needed: [Int64],
        _ connection: PostgresConnection
    ) async throws(PostgresError) -> [Int64: String] {
        var refused: [Int64: String] = [:]
        for day in Set(needed).subtracting(days).sorted() {
            do {
                try await DayPartitions.create(day, on: connection)
                days.insert(day)
            } catch  where error.isRowRejection || error.sqlState == "42P17" {
                // The SQLSTATE only: the server's message quotes the bound it refused.
                let state = error.sqlState ?? "?"
                refused[day] = "the day partition \(DayPartitions.name(day)) cannot be created (SQLSTATE \(state))"
                logger.warning(
                    "a day partition was refused; its events go to the dead-letter topic",
                    metadata: ["partition": "\(DayPartitions.name(day))", "sqlstate": "\(state)"]
                )
            }
        }
        return refused
    }

    /// Inserts a slice in one transaction; on a refused row, halves it.
    private func insert(
        _ events: ArraySlice<ConsumedEvent>,
        _ connection: PostgresConnection,
        rejected: inout [SinkRejection]
    ) async throws(PostgresError) {
        let rows = EventRows.binary(events)
        do {
            try await transaction(connection) { () async throws(PostgresError) in
                _ = try await connection.copy(
                    "COPY events (\(EventRows.columns)) FROM STDIN WITH (FORMAT binary)",
                    data: rows
                )
            }
            rowsWritten += events.count
            return
        } catch  where error.sqlState == "23505" {
            // Some rows are stored already: the idempotent path.
        } catch  where error.isRowRejection {
            try await isolate(events, connection, error, rejected: &rejected)
            return
        }
        do {
            redeliveredBatches += 1
            try await prepareStaging(connection)
            try await transaction(connection) { () async throws(PostgresError) in
                _ = try await connection.copy(
                    "COPY events_staging (\(EventRows.columns)) FROM STDIN WITH (FORMAT binary)",
                    data: rows
                )
                let inserted = try await connection.execute(
                    "WITH added AS (INSERT INTO events (\(EventRows.columns)) SELECT \(EventRows.columns) "
                        + "FROM events_staging ON CONFLICT DO NOTHING RETURNING 1) SELECT count(*) FROM added"
                )
                rowsWritten += Int(inserted.first?.first.flatMap { $0 } ?? "0") ?? 0
            }
        } catch  where error.isRowRejection {
            try await isolate(events, connection, error, rejected: &rejected)
        }
    }

    private func isolate(
        _ events: ArraySlice<ConsumedEvent>,
        _ connection: PostgresConnection,
        _ error: PostgresError,
        rejected: inout [SinkRejection]
    ) async throws(PostgresError) {
        if events.count == 1 {
            rejected.append(SinkRejection(event: events.first!, reason: error.description))
            return
        }
        let middle = events.startIndex + events.count / 2
        try await insert(events[..<middle], connection, rejected: &rejected)
        try await insert(events[middle...], connection, rejected: &rejected)
    }

    private func insertAlerts(_ alerts: [Alert], _ connection: PostgresConnection) async throws(PostgresError) {
        try await prepareStaging(connection)
        try await transaction(connection) { () async throws(PostgresError) in
            _ = try await connection.copy(
                "COPY alerts_staging (\(AlertRows.columns)) FROM STDIN",
                data: AlertRows.encode(alerts)
            )
            try await connection.execute(
                "INSERT INTO alerts (\(AlertRows.columns)) SELECT \(AlertRows.columns) FROM alerts_staging "
                    + "ON CONFLICT (alert_id) DO NOTHING"
            )
        }
    }

    /// Session-local staging tables, emptied at every commit.
    private func prepareStaging(_ connection: PostgresConnection) async throws(PostgresError) {
        guard !staged.contains(ObjectIdentifier(connection)) else { return }
        try await connection.execute(
            """
            CREATE TEMP TABLE IF NOT EXISTS events_staging (LIKE events) ON COMMIT DELETE ROWS;
            CREATE TEMP TABLE IF NOT EXISTS alerts_staging (LIKE alerts) ON COMMIT DELETE ROWS;
            """
        )
        staged.insert(ObjectIdentifier(connection))
    }

    private func transaction(
        _ connection: PostgresConnection,
        _ body: () async throws(PostgresError) -> Void
    ) async throws(PostgresError) {
        try await connection.execute("BEGIN")
        do {
            try await body()
            try await connection.execute("COMMIT")
        } catch {
            _ = try? await connection.execute("ROLLBACK")
            throw error
        }
    }
}
