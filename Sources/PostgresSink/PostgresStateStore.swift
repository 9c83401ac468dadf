import Blocking
import Detection
import Synchronization

/// Detection state in PostgreSQL, shared by the workers of every host: the
/// `detection_state` head row (next offset, version, size) and the snapshot
/// in `detection_state_chunks`, written in one transaction, so a reader sees
/// one whole version or the one before. A snapshot larger than a chunk is
/// split, never dropped.
///
/// Chosen over a compacted Kafka topic (Kafka Streams' changelogs) because
/// the hot tier's database is already there and transactional: a save is
/// atomic and conditional in one round of statements, and a restore is one
/// query, where a changelog would have to be read to its end at each
/// assignment and compacted by the broker. The protocol keeps a changelog
/// store possible.
///
/// Calls block until done (``DetectionStateStore``): the connection is
/// opened at first use, kept, and opened again after a failure.
public final class PostgresStateStore: DetectionStateStore, @unchecked Sendable {
    let conninfo: String
    /// Bytes per chunk row.
    let chunkBytes: Int
    /// The kept connection; held for the whole of a call, so one caller at a
    /// time (librdkafka's thread, the snapshot interval, readiness).
    private let connection = Mutex<PostgresConnection?>(nil)

    public init(conninfo: String, chunkBytes: Int = 8 << 20) {
        self.conninfo = conninfo
        self.chunkBytes = max(1, chunkBytes)
    }

    public var description: String { "postgres detection_state" }

    public func load(topic: String, partition: Int32) throws(DetectionStateError) -> SavedDetectionState? {
        try run { connection in
            // One snapshot of the database for the head and its chunks.
            try await connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            do {
                let head = try await connection.execute(
                    "SELECT next_offset, version, chunks, bytes FROM detection_state WHERE topic = $1 AND partition = $2",
                    ["\(topic)", "\(partition)"]
                )
                guard let row = head.first, row.count == 4, let next = row[0].flatMap({ Int64($0) }),
                    let version = row[1], let chunks = row[2].flatMap({ Int($0) }),
                    let bytes = row[3].flatMap({ Int($0) })
                else {
                    try await connection.execute("COMMIT")
                    return nil
                }
                let parts = try await connection.execute(
                    "SELECT bytes FROM detection_state_chunks WHERE topic = $1 AND partition = $2 AND version = $3"
                        + " ORDER BY chunk",
                    values: [.text(topic), .text("\(partition)"), .text(version)],
                    binaryResults: true
                )
                try await connection.execute("COMMIT")
                var snapshot: [UInt8] = []
                snapshot.reserveCapacity(bytes)
                for part in parts { snapshot += part.first.flatMap { $0 } ?? [] }
                guard parts.count == chunks, snapshot.count == bytes else {
                    throw PostgresError(
                        "reading detection state",
                        message: "version \(version) of \(topic)/\(partition) is incomplete"
                    )
                }
                return SavedDetectionState(topic: topic, partition: partition, nextOffset: next, snapshot: snapshot)
            } catch {
                _ = try? await connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    public func save(_ states: [SavedDetectionState]) throws(DetectionStateError) {
        guard !states.isEmpty else { return }
        let chunkBytes = self.chunkBytes
        try run { connection in
            try await connection.execute("BEGIN")
            do {
                for state in states { try await Self.save(state, connection, chunkBytes: chunkBytes) }
                try await connection.execute("COMMIT")
            } catch {
                _ = try? await connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// One partition's state inside the open transaction: skipped when the
    /// stored one is newer (a later owner saved it), else the next version.
    private static func save(
        _ state: SavedDetectionState,
        _ connection: PostgresConnection,
        chunkBytes: Int
    ) async throws(PostgresError) {
        let key: [String?] = [state.topic, "\(state.partition)"]
        let stored = try await connection.execute(
            "SELECT next_offset, version FROM detection_state WHERE topic = $1 AND partition = $2 FOR UPDATE",
            key
        )
        var version: Int64 = 1
        if let row = stored.first, let next = row[0].flatMap({ Int64($0) }),
            let previous = row[1].flatMap({ Int64($0) })
        {
            if next > state.nextOffset { return }
            version = previous + 1
        }
        var chunks = 0
        var start = 0
        repeat {
            let end = min(state.snapshot.count, start + chunkBytes)
            try await connection.execute(
                "INSERT INTO detection_state_chunks (topic, partition, version, chunk, bytes)"
                    + " VALUES ($1, $2, $3, $4, $5)",
                values: [
                    .text(state.topic), .text("\(state.partition)"), .text("\(version)"), .text("\(chunks)"),
                    .bytes(Array(state.snapshot[start..<end])),
                ]
            )
            chunks += 1
            start = end
        } while start < state.snapshot.count
        try await connection.execute(
            """
            INSERT INTO detection_state (topic, partition, next_offset, version, chunks, bytes, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, now())
            ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset,
                version = EXCLUDED.version, chunks = EXCLUDED.chunks, bytes = EXCLUDED.bytes, updated_at = now()
            """,
            key + ["\(state.nextOffset)", "\(version)", "\(chunks)", "\(state.snapshot.count)"]
        )
        try await connection.execute(
            "DELETE FROM detection_state_chunks WHERE topic = $1 AND partition = $2 AND version < $3",
            key + ["\(version)"]
        )
    }

    /// Runs `body` on the kept connection (opened, and the schema brought
    /// up to date, at first use); a failure closes it, so the next call
    /// connects again.
    private func run<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) throws(DetectionStateError) -> T {
        let conninfo = self.conninfo
        let outcome: Result<T, any Error> = connection.withLock { kept in
            let current = kept
            let result: Result<(PostgresConnection, T), any Error> = waitOutsidePool {
                do {
                    let open: PostgresConnection
                    if let current, current.isHealthy {
                        open = current
                    } else {
                        open = try await PostgresConnection.connect(Self.bounded(conninfo))
                        try await Schema.migrate(open)
                        // A save or load never waits on a lock for long.
                        try await open.execute("SET statement_timeout = '30s'")
                    }
                    return .success((open, try await body(open)))
                } catch {
                    return .failure(error)
                }
            }
            kept = try? result.get().0
            return result.map(\.1)
        }
        switch outcome {
        case .success(let value): return value
        case .failure(let error): throw DetectionStateError("\(description): \(error)")
        }
    }

    /// The connection string with a connect timeout, unless it names one.
    static func bounded(_ conninfo: String) -> String {
        guard !conninfo.contains("connect_timeout") else { return conninfo }
        if conninfo.hasPrefix("postgres://") || conninfo.hasPrefix("postgresql://") {
            return conninfo + (conninfo.contains("?") ? "&" : "?") + "connect_timeout=5"
        }
        return conninfo.isEmpty ? "connect_timeout=5" : conninfo + " connect_timeout=5"
    }
}
