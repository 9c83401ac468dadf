import AuditDecoder
import AuditEvent
import Foundation
import Logging
import Pipeline
import PostgresSink
import TrafficGenerator

/// The PostgreSQL sink against `psql \copy` of the same rows into the same
/// table, on the server named by COUNTERSIGN_TEST_PG (make bench starts one).
///
/// Both write into a fresh database with the sink's schema (primary key,
/// three indexes, day partitions created beforehand). The sink is timed on
/// its `write` calls only (batches of 10,000 decoded events, one transaction
/// each); psql on one `\copy` of a file holding exactly the COPY text the
/// sink sends.
struct PostgresBenchmark {
    var events: Int
    var batchSize = 10_000

    func run() async throws {
        guard let server = ProcessInfo.processInfo.environment["COUNTERSIGN_TEST_PG"] else {
            report("postgres: COUNTERSIGN_TEST_PG is not set; run through `make bench` (it starts a server)")
            return
        }
        let traffic = SyntheticTraffic(seed: 91)
        let decoder = try AuditEventDecoder()
        let ours = try await freshDatabase(server, "bench_sink")
        let theirs = try await freshDatabase(server, "bench_psql")
        let sink = PostgresSink(settings: PostgresSettings(conninfo: ours), logger: Logger(label: "bench"))
        let copyFile = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-bench.copy")
        _ = FileManager.default.createFile(atPath: copyFile.path, contents: nil)
        let file = try FileHandle(forWritingTo: copyFile)
        var elapsed = Duration.zero
        let clock = ContinuousClock()
        report("postgres: \(events) generated events in batches of \(batchSize)")
        var index = 0
        while index < events {
            let range = index..<min(index + batchSize, events)
            let batch = try range.map { i in
                ConsumedEvent(
                    event: try decoder.decode(traffic.message(at: i)),
                    topic: "mcp.audit",
                    partition: Int32(i % 8),
                    offset: Int64(i / 8)
                )
            }
            try file.write(contentsOf: Data(PostgresSink.copyText(batch)))
            let start = clock.now
            _ = try await sink.write(EventBatch(events: batch))
            elapsed += clock.now - start
            index = range.upperBound
        }
        try file.close()
        let sinkRate = Double(events) / seconds(elapsed)
        report(
            "postgres: sink (COPY, 2 writers, a transaction each) \(format(sinkRate)) rows/s  (\(format(seconds(elapsed))) s)"
        )

        // The same days exist on both sides before timing psql.
        let days = try await PostgresConnection.connect(ours).execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass"
        )
        let peer = try await PostgresConnection.connect(theirs)
        try await Schema.migrate(peer)
        for row in days {
            guard let name = row[0] else { continue }
            let digits = name.dropFirst(7)
            let date = "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))"
            let start = try Timestamp.parse(rfc3339: date + "T00:00:00Z").get()
            let next = Timestamp(microsecondsSinceEpoch: start.microsecondsSinceEpoch + 86_400_000_000).rfc3339.prefix(
                10
            )
            try await peer.execute(
                "CREATE TABLE \(name) PARTITION OF events FOR VALUES FROM ('\(date)') TO ('\(next)')"
            )
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = [
            theirs, "-qX", "-c", "\\copy events (\(PostgresSink.eventColumns)) FROM '\(copyFile.path)'",
        ]
        let start = clock.now
        try process.run()
        process.waitUntilExit()
        let psqlTime = seconds(clock.now - start)
        try? FileManager.default.removeItem(at: copyFile)
        guard process.terminationStatus == 0 else {
            report("postgres: psql \\copy failed (status \(process.terminationStatus))")
            return
        }
        let psqlRate = Double(events) / psqlTime
        report("postgres: psql \\copy of the same rows          \(format(psqlRate)) rows/s  (\(format(psqlTime)) s)")
        report("postgres: ratio sink/psql = \(format(sinkRate / psqlRate))")
    }

    private func freshDatabase(_ server: String, _ name: String) async throws -> String {
        let admin = try await PostgresConnection.connect(server)
        try await admin.execute("DROP DATABASE IF EXISTS \(name)")
        try await admin.execute("CREATE DATABASE \(name)")
        let conninfo = server.replacingOccurrences(of: "dbname=countersign_test", with: "dbname=\(name)")
        try await Schema.migrate(PostgresConnection.connect(conninfo))
        return conninfo
    }
}
