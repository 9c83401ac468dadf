import AuditDecoder
import AuditEvent
import Detection
import Foundation
import Logging
import Pipeline
import PostgresSink
import Testing
import TrafficGenerator

/// A fresh database on the harness's server for each test.
struct TestDatabase {
    static let environment = ProcessInfo.processInfo.environment
    static var server: String? { environment["COUNTERSIGN_TEST_PG"] }
    static var enabled: Bool { server != nil || environment["CI"] == "true" }

    let conninfo: String

    static func create() async throws -> TestDatabase {
        let server = try #require(server, "COUNTERSIGN_TEST_PG is not set; run the tests through `make test`")
        let name = "t_\(UInt32.random(in: 0...UInt32.max))"
        let admin = try await PostgresConnection.connect(server)
        try await admin.execute("CREATE DATABASE \(name)")
        return TestDatabase(
            conninfo: server.replacingOccurrences(of: "dbname=countersign_test", with: "dbname=\(name)")
        )
    }

    func connect() async throws -> PostgresConnection { try await PostgresConnection.connect(conninfo) }

    func count(_ sql: String) async throws -> Int {
        Int(try await connect().execute(sql).first?.first.flatMap { $0 } ?? "0") ?? -1
    }
}

/// Generated events as the worker hands them over: decoded from their bytes, with Kafka coordinates.
func consumed(_ range: Range<Int>, seed: UInt64 = 3) throws -> [ConsumedEvent] {
    let traffic = SyntheticTraffic(seed: seed)
    let decoder = try AuditEventDecoder()
    return try range.map { index in
        ConsumedEvent(
            event: try decoder.decode(traffic.message(at: index)),
            topic: "mcp.audit",
            partition: Int32(index % 8),
            offset: Int64(index / 8)
        )
    }
}

@Suite("PostgreSQL hot tier", .serialized, .enabled(if: TestDatabase.enabled))
struct PostgresSinkTests {
    let logger = Logger(label: "test")

    @Test("migrations apply once, also when two connections run them at the same time")
    func migrations() async throws {
        let database = try await TestDatabase.create()
        async let first = Schema.migrate(try await database.connect())
        async let second = Schema.migrate(try await database.connect())
        let applied = try await first + second
        #expect(applied == Schema.migrations.map(\.version))
        #expect(try await database.count("SELECT count(*) FROM countersign_migrations") == Schema.migrations.count)
        #expect(try await Schema.migrate(try await database.connect()).isEmpty)
    }

    @Test("a batch lands whole; delivered again it adds no row; an overlapping batch adds only what is new")
    func idempotent() async throws {
        let database = try await TestDatabase.create()
        let sink = PostgresSink(settings: PostgresSettings(conninfo: database.conninfo), logger: logger)
        let events = try consumed(0..<20_000)
        _ = try await sink.write(EventBatch(events: events))
        #expect(try await database.count("SELECT count(*) FROM events") == 20_000)
        let stored = Set(try await database.connect().execute("SELECT event_id FROM events").compactMap { $0[0] })
        #expect(stored == Set(events.map(\.event.eventID)))

        _ = try await sink.write(EventBatch(events: events))
        #expect(try await database.count("SELECT count(*) FROM events") == 20_000)
        let more = try consumed(15_000..<25_000)
        _ = try await sink.write(EventBatch(events: more))
        #expect(try await database.count("SELECT count(*) FROM events") == 25_000)
        // Both deliveries went through the idempotent path (once per writer share).
        #expect(await sink.redeliveredBatches >= 2)
        // Columns analysts filter on, and the raw event, byte for byte.
        let row = try await database.connect().execute(
            "SELECT actor_id, tool, status, kafka_partition, raw::text FROM events WHERE event_id = $1",
            [events[42].event.eventID]
        )
        #expect(row.first?[0] == events[42].event.actor.id)
        #expect(row.first?[1] == events[42].event.target.tool)
        #expect(row.first?[3] == "\(events[42].partition)")
        let raw = try #require(row.first?[4] ?? nil)
        #expect(try AuditEventDecoder().decode(Array(raw.utf8)).eventID == events[42].event.eventID)
        // Every typed column, sent in COPY's binary format, reads back as it was.
        for consumed in events.prefix(200) {
            let typed = try await database.connect().execute(
                "SELECT (extract(epoch FROM occurred_at) * 1000000)::bigint, result_bytes, duration_ms, "
                    + "kafka_offset, ledger_index IS NULL, tenant_id IS NULL, raw = $2 FROM events WHERE event_id = $1",
                [consumed.event.eventID, String(decoding: consumed.event.raw, as: UTF8.self)]
            )
            let values = try #require(typed.first)
            #expect(values[0] == "\(consumed.event.occurredAt.microsecondsSinceEpoch)")
            #expect(values[1] == consumed.event.outcome.resultBytes.map { "\($0)" })
            #expect(values[2].flatMap(Double.init) == consumed.event.durationMs)
            #expect(values[3] == "\(consumed.offset)")
            #expect(values[4] == "t")
            #expect(values[5] == (consumed.event.tenantID == nil ? "t" : "f"))
            #expect(values[6] == "t")
        }
    }

    @Test("a row the database refuses is returned as a rejection; the rest of the batch commits")
    func rejection() async throws {
        let database = try await TestDatabase.create()
        let sink = PostgresSink(settings: PostgresSettings(conninfo: database.conninfo), logger: logger)
        var events = try consumed(0..<1_000)
        // A rule a DBA added: the server refuses the row for its data.
        _ = try await sink.write(EventBatch(events: []))
        try await database.connect().execute(
            "ALTER TABLE events ADD CONSTRAINT no_poison CHECK (tool IS DISTINCT FROM 'poison_tool')"
        )
        let tool = try #require(events[500].event.target.tool)
        let text = String(decoding: events[500].event.raw, as: UTF8.self)
            .replacingOccurrences(of: "\"\(tool)\"", with: "\"poison_tool\"")
        events[500].event = try AuditEventDecoder().decode(Array(text.utf8))
        #expect(events[500].event.target.tool == "poison_tool")
        let outcome = try await sink.write(EventBatch(events: events))
        #expect(outcome.rejected.map(\.event.event.eventID) == [events[500].event.eventID])
        #expect(outcome.rejected.first?.reason.contains("poison_tool") == false)
        #expect(try await database.count("SELECT count(*) FROM events") == 999)
    }

    @Test("a day the server cannot partition (year 0, 9999's last instant) is refused row by row; the rest commits")
    func unpartitionableDay() async throws {
        let database = try await TestDatabase.create()
        let sink = PostgresSink(settings: PostgresSettings(conninfo: database.conninfo), logger: logger)
        var events = try consumed(0..<300)
        // Dates the decoder now refuses, handed to the sink directly: the sink
        // must isolate them whatever lets them through.
        let yearZero = try Timestamp.parse(rfc3339: "0000-01-01T00:00:00Z").get()
        let lastInstant = try Timestamp.parse(rfc3339: "9999-12-31T23:59:59.999999Z").get()
        events[10].event.occurredAt = yearZero
        events[200].event.occurredAt = lastInstant
        let outcome = try await sink.write(EventBatch(events: events))
        #expect(
            Set(outcome.rejected.map(\.event.event.eventID))
                == [events[10].event.eventID, events[200].event.eventID]
        )
        #expect(outcome.rejected.allSatisfy { $0.reason.contains("day partition") })
        #expect(try await database.count("SELECT count(*) FROM events") == 298)
        // The next batch goes through as usual.
        _ = try await sink.write(EventBatch(events: try consumed(300..<400)))
        #expect(try await database.count("SELECT count(*) FROM events") == 398)
    }

    @Test("retention drops exactly the partitions older than the retention window, and creates those ahead")
    func retention() async throws {
        let database = try await TestDatabase.create()
        let connection = try await database.connect()
        let now = try Timestamp.parse(rfc3339: "2026-11-21T12:00:00Z").get()
        let day: Int64 = 86_400_000_000
        // Partitions from 100 days ago up to today, written by the sink.
        let sink = PostgresSink(settings: PostgresSettings(conninfo: database.conninfo), logger: logger)
        var events = try consumed(0..<101)
        for (index, _) in events.enumerated() {
            events[index].event.occurredAt = Timestamp(
                microsecondsSinceEpoch: now.microsecondsSinceEpoch - Int64(index) * day
            )
            events[index].event.raw = []
        }
        _ = try await sink.write(EventBatch(events: events))
        let settings = PostgresSettings(conninfo: database.conninfo, retentionDays: 90, partitionsAheadDays: 3)
        let report = try await Maintenance.run(connection, settings: settings, now: now)
        // Today is 2026-11-21; kept: 2026-08-23 (90 days before) and later.
        let expectedDropped = (91...100).map { offset in
            "events_"
                + String(
                    Timestamp(microsecondsSinceEpoch: now.microsecondsSinceEpoch - Int64(offset) * day)
                        .rfc3339.prefix(10)
                ).replacingOccurrences(of: "-", with: "")
        }.sorted()
        #expect(report.dropped == expectedDropped)
        #expect(report.created == ["events_20261122", "events_20261123", "events_20261124"])
        #expect(try await database.count("SELECT count(*) FROM events") == 91)
        #expect(try await database.count("SELECT count(*) FROM events WHERE occurred_at < '2026-08-23'") == 0)
        let again = try await Maintenance.run(connection, settings: settings, now: now)
        #expect(again.dropped.isEmpty && again.created.isEmpty)
    }
}

@Suite("Analyst queries", .enabled(if: TestDatabase.enabled))
struct AnalystQueryTests {
    /// Every `sql` block of docs/analyst-queries.md.
    static func queries() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/analyst-queries.md"), encoding: .utf8)
        return text.components(separatedBy: "```sql\n").dropFirst().compactMap {
            $0.components(separatedBy: "```").first
        }
    }

    @Test("every query of docs/analyst-queries.md runs and finds the rows it is about")
    func documented() async throws {
        let queries = try Self.queries()
        #expect(queries.count >= 5)
        let database = try await TestDatabase.create()
        let sink = PostgresSink(
            settings: PostgresSettings(conninfo: database.conninfo, retentionDays: 3_650),
            logger: Logger(label: "test")
        )
        // Events of the last hour (so "today" and "this week" hold them), and an alert on one member.
        var events = try consumed(0..<2_000)
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        for index in events.indices {
            events[index].event.occurredAt = Timestamp(microsecondsSinceEpoch: now - Int64(2_000 - index) * 1_000_000)
            events[index].event.raw = []
        }
        let member = events[1_500].event
        let alert = Alert(
            detector: .spike,
            scope: .member,
            tenant: member.tenantID,
            member: member.actor.id,
            tool: nil,
            at: member.occurredAt,
            windowStart: Timestamp(microsecondsSinceEpoch: member.occurredAt.microsecondsSinceEpoch - 60_000_000),
            windowEnd: member.occurredAt,
            observed: 120,
            baselineMean: 3,
            baselineSpread: 1.7,
            score: 1,
            severity: 8,
            contributingEventIDs: [member.eventID],
            alertID: "0f0e0d0c-0b0a-8908-8706-050403020100"
        )
        _ = try await sink.write(EventBatch(events: events, alerts: [alert]))
        let connection = try await database.connect()
        for query in queries {
            let rows = try await connection.execute(query)
            #expect(!rows.isEmpty, "no rows: \(query.prefix(60))")
        }
    }
}
