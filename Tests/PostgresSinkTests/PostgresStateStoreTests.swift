import Blocking
import Detection
import PostgresSink
import Testing

/// The shared detection state store against the harness's PostgreSQL.
@Suite("detection state in PostgreSQL", .serialized, .enabled(if: TestDatabase.enabled))
struct PostgresStateStoreTests {
    /// The store blocks its caller: call it from a queue, as the worker does.
    let queue = BlockingQueue(label: "test.state")

    func state(_ partition: Int32, next: Int64, bytes: Int, fill: UInt8 = 7) -> SavedDetectionState {
        SavedDetectionState(
            topic: "mcp.audit",
            partition: partition,
            nextOffset: next,
            snapshot: (0..<bytes).map { UInt8(truncatingIfNeeded: $0) ^ fill }
        )
    }

    @Test("a snapshot larger than a chunk is split, saved whole and read back byte for byte")
    func chunks() async throws {
        let database = try await TestDatabase.create()
        let store = PostgresStateStore(conninfo: database.conninfo, chunkBytes: 1_000)
        let saved = state(3, next: 42, bytes: 10_500)
        let loaded = try await queue.run {
            Result { try store.save([saved]) }.flatMap { _ in
                Result { try store.load(topic: "mcp.audit", partition: 3) }
            }
        }.get()
        #expect(loaded == saved)
        #expect(try await database.count("SELECT count(*) FROM detection_state_chunks") == 11)
        #expect(try await database.count("SELECT chunks FROM detection_state") == 11)
        let missing = try await queue.run { Result { try store.load(topic: "mcp.audit", partition: 4) } }.get()
        #expect(missing == nil)
    }

    @Test("each save is a new version that replaces the chunks of the last; an older state never overwrites a newer")
    func versions() async throws {
        let database = try await TestDatabase.create()
        let store = PostgresStateStore(conninfo: database.conninfo, chunkBytes: 4_096)
        let first = state(0, next: 100, bytes: 9_000, fill: 1)
        let second = state(0, next: 200, bytes: 5_000, fill: 2)
        let stale = state(0, next: 150, bytes: 7_000, fill: 3)
        let loaded = try await queue.run {
            Result {
                try store.save([first])
                try store.save([second])
                // An earlier owner that has not noticed the partition moved.
                try store.save([stale])
                return try store.load(topic: "mcp.audit", partition: 0)
            }
        }.get()
        #expect(loaded == second)
        #expect(try await database.count("SELECT version FROM detection_state") == 2)
        #expect(try await database.count("SELECT count(*) FROM detection_state_chunks") == 2)
    }

    @Test("a server that is down is an error, and the next call after it returns connects again")
    func reconnects() async throws {
        let database = try await TestDatabase.create()
        let down = PostgresStateStore(conninfo: "host=127.0.0.1 port=1 dbname=none connect_timeout=2")
        let failure = await queue.run { Result { try down.save([state(1, next: 1, bytes: 10)]) } }
        guard case .failure(let error) = failure else {
            Issue.record("saving into an unreachable server succeeded")
            return
        }
        #expect("\(error)".contains("postgres detection_state"))
        let store = PostgresStateStore(conninfo: database.conninfo)
        let admin = try await database.connect()
        _ = try await queue.run { Result { try store.save([state(1, next: 1, bytes: 10)]) } }.get()
        // The server ends the store's session, as a restart would.
        try await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND pid <> pg_backend_pid()"
        )
        let afterwards = await queue.run { Result { try store.save([state(1, next: 2, bytes: 10)]) } }
        if case .failure = afterwards {
            // The first call after the server went away may fail; the next reconnects.
            _ = try await queue.run { Result { try store.save([state(1, next: 2, bytes: 10)]) } }.get()
        }
        let loaded = try await queue.run { Result { try store.load(topic: "mcp.audit", partition: 1) } }.get()
        #expect(loaded?.nextOffset == 2)
    }
}
