/// The hot tier's schema as numbered migrations. Each runs once, in its own
/// transaction, all under an advisory lock: two workers starting together
/// apply them once and the second finds them done.
public enum Schema {
    /// Advisory lock key shared by every Countersign process ("CSMIGRAT").
    static let lockKey: Int64 = 0x4353_4D49_4752_4154

    public struct Migration: Sendable {
        public var version: Int
        public var description: String
        public var sql: String
    }

    public static let migrations: [Migration] = [
        Migration(
            version: 1,
            description: "events partitioned by day, alerts, detection state",
            sql: """
                CREATE TABLE events (
                    event_id        text NOT NULL,
                    occurred_at     timestamptz NOT NULL,
                    event_kind      text NOT NULL,
                    tenant_id       text,
                    actor_id        text NOT NULL,
                    agent_id        text,
                    source_ip       text,
                    gateway         text NOT NULL,
                    server_id       text,
                    tool            text,
                    method          text,
                    status          text NOT NULL,
                    result_bytes    bigint,
                    duration_ms     double precision,
                    policy_decision text,
                    session_id      text,
                    kafka_topic     text,
                    kafka_partition integer,
                    kafka_offset    bigint,
                    ledger_index    bigint,
                    raw             jsonb NOT NULL,
                    PRIMARY KEY (event_id, occurred_at)
                ) PARTITION BY RANGE (occurred_at);
                CREATE INDEX events_actor_time ON events (actor_id, occurred_at);
                CREATE INDEX events_tool_time ON events (tool, occurred_at);
                CREATE INDEX events_tenant_time ON events (tenant_id, occurred_at);

                CREATE TABLE alerts (
                    alert_id               text PRIMARY KEY,
                    occurred_at            timestamptz NOT NULL,
                    detector               text NOT NULL,
                    scope                  text NOT NULL,
                    key                    text NOT NULL,
                    tenant_id              text,
                    actor_id               text,
                    tool                   text,
                    severity               smallint NOT NULL,
                    score                  double precision NOT NULL,
                    observed               double precision,
                    baseline_mean          double precision,
                    baseline_spread        double precision,
                    window_start           timestamptz,
                    window_end             timestamptz,
                    contributing_event_ids text[] NOT NULL,
                    detection              jsonb NOT NULL
                );
                CREATE INDEX alerts_detector_time ON alerts (detector, occurred_at);
                CREATE INDEX alerts_actor_time ON alerts (actor_id, occurred_at);

                CREATE TABLE detection_state (
                    topic       text NOT NULL,
                    partition   integer NOT NULL,
                    next_offset bigint NOT NULL,
                    snapshot    bytea NOT NULL,
                    updated_at  timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (topic, partition)
                );
                """
        ),
        Migration(
            version: 2,
            description: "events.raw keeps the message's exact bytes (text); events_json for JSON access",
            // jsonb re-serialises the event (key order, spaces, escapes), so a
            // stored row could not be matched to the ledger by its SHA-256, and
            // parsing it was a large share of the server's cost per row. Rows
            // stored as jsonb before keep jsonb's rendering.
            sql: """
                ALTER TABLE events ALTER COLUMN raw TYPE text USING raw::text;
                CREATE VIEW events_json AS SELECT events.*, raw::jsonb AS doc FROM events;
                """
        ),
        Migration(
            version: 3,
            description: "detection_state: a version per save, the snapshot in chunks (detection_state_chunks)",
            // Workers on several hosts share detection state here. A snapshot
            // can outgrow what one value should hold (1M member x tool keys),
            // so its bytes go in chunks, written with the head row in one
            // transaction; the head names the version whose chunks are
            // current. Version 1's table was never written by any release.
            sql: """
                DROP TABLE detection_state;
                CREATE TABLE detection_state (
                    topic       text NOT NULL,
                    partition   integer NOT NULL,
                    next_offset bigint NOT NULL,
                    version     bigint NOT NULL,
                    chunks      integer NOT NULL,
                    bytes       bigint NOT NULL,
                    updated_at  timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (topic, partition)
                );
                CREATE TABLE detection_state_chunks (
                    topic     text NOT NULL,
                    partition integer NOT NULL,
                    version   bigint NOT NULL,
                    chunk     integer NOT NULL,
                    bytes     bytea NOT NULL,
                    PRIMARY KEY (topic, partition, version, chunk)
                );
                """
        ),
    ]

    /// Applies every migration not yet applied; returns the versions applied now.
    @discardableResult
    public static func migrate(_ connection: PostgresConnection) async throws(PostgresError) -> [Int] {
        // A session lock around everything, the bookkeeping table's creation
        // included: concurrent CREATE TABLE IF NOT EXISTS can still collide.
        try await connection.execute("SELECT pg_advisory_lock(\(lockKey))")
        do {
            let applied = try await migrateLocked(connection)
            try await connection.execute("SELECT pg_advisory_unlock(\(lockKey))")
            return applied
        } catch {
            _ = try? await connection.execute("SELECT pg_advisory_unlock(\(lockKey))")
            throw error
        }
    }

    private static func migrateLocked(_ connection: PostgresConnection) async throws(PostgresError) -> [Int] {
        try await connection.execute(
            """
            CREATE TABLE IF NOT EXISTS countersign_migrations (
                version int PRIMARY KEY,
                description text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        var applied: [Int] = []
        for migration in migrations {
            try await connection.execute("BEGIN")
            do {
                let done = try await connection.execute(
                    "SELECT 1 FROM countersign_migrations WHERE version = $1",
                    ["\(migration.version)"]
                )
                if done.isEmpty {
                    try await connection.execute(migration.sql)
                    try await connection.execute(
                        "INSERT INTO countersign_migrations (version, description) VALUES ($1, $2)",
                        ["\(migration.version)", migration.description]
                    )
                    applied.append(migration.version)
                }
                try await connection.execute("COMMIT")
            } catch {
                _ = try? await connection.execute("ROLLBACK")
                throw error
            }
        }
        return applied
    }
}
