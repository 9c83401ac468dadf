import Foundation
import Ledger
import TestSupport
import Testing

/// `run` into the PostgreSQL hot tier that the harness starts.
extension EndToEndSuites {
    @Suite("countersign run into PostgreSQL", .serialized)
    struct PostgresRunTests {
        static var server: String? { EndToEnd.environment["COUNTERSIGN_TEST_PG"] }

        /// A fresh database; returns its connection string. Outage tests use the
        /// harness's second server, which they may stop.
        func database(outage: Bool = false) throws -> String {
            let server = try #require(
                outage ? EndToEnd.environment["COUNTERSIGN_TEST_PG_OUTAGE"] : Self.server,
                "the harness's PostgreSQL is not set; run through `make test`"
            )
            let name = "run_\(UInt32.random(in: 0...UInt32.max))"
            #expect(try psql(server, "CREATE DATABASE \(name)") != nil)
            return server.replacingOccurrences(of: "dbname=countersign_test", with: "dbname=\(name)")
        }

        /// Runs one statement with psql; returns its unaligned output, or nil on failure.
        func psql(_ conninfo: String, _ sql: String) throws -> String? {
            let (status, text) = try Subprocess.run("/usr/bin/psql", [conninfo, "-qAtX", "-c", sql])
            return status == 0 ? text.trimmingCharacters(in: .whitespacesAndNewlines) : nil
        }

        func pipeline(topic: String, group: String, conninfo: String) throws -> URL {
            try EndToEnd.pipeline(
                topic: topic,
                group: group,
                source: "  batch_size: 2000\ndetectors:\n  enabled: false",
                // Generated events are dated August 2026: keep them, whatever today's date.
                sinks: "  - type: postgres\n    conninfo: \(conninfo)\n    retention_days: 3650",
                name: group
            )
        }

        /// The event ids `generate` makes for a count and seed.
        func generatedIDs(count: Int, seed: Int) throws -> Set<String> {
            let (_, text) = try EndToEnd.countersign(["generate", "--count", "\(count)", "--seed", "\(seed)"])
            return Set(text.split(separator: "\n").compactMap(EndToEnd.eventID))
        }

        func storedIDs(_ conninfo: String) throws -> [String] {
            try psql(conninfo, "SELECT event_id FROM events")?.split(separator: "\n").map(String.init) ?? []
        }

        /// 100,000 in `make test`; `make soak` sets COUNTERSIGN_PG_EVENTS=1000000.
        static var count: Int { Int(EndToEnd.environment["COUNTERSIGN_PG_EVENTS"] ?? "") ?? 100_000 }

        @Test(
            "100,000 events (a million in make soak) through run: the table holds exactly the events produced; a second delivery adds no row",
            .enabled(if: EndToEnd.enabled)
        )
        func everyEventOnce() async throws {
            let broker = try #require(EndToEnd.bootstrap, "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`")
            let conninfo = try database()
            let topic = "pg-\(UInt32.random(in: 0...UInt32.max))"
            _ = try EndToEnd.countersign([
                "generate", "--count", "1", "--seed", "1", "--brokers", broker, "--topic", topic,
            ])
            let first = try pipeline(topic: topic, group: "\(topic)-a", conninfo: conninfo)
            let second = try pipeline(topic: topic, group: "\(topic)-b", conninfo: conninfo)
            defer { for file in [first, second] { try? FileManager.default.removeItem(at: file) } }

            let worker = try BackgroundRun(pipeline: first, broker: broker)
            #expect(worker.waitForAssignment())
            let (generated, _) = try EndToEnd.countersign([
                "generate", "--count", "\(Self.count)", "--seed", "31", "--brokers", broker, "--topic", topic, "--rate",
                "20000",
            ])
            #expect(generated == 0)
            let (status, output) = worker.finish()
            #expect(status == 0, "\(worker.log.suffix(600))")
            #expect(output.contains("0 dead-lettered"))

            let expected = try generatedIDs(count: Self.count, seed: 31).union(generatedIDs(count: 1, seed: 1))
            let stored = try storedIDs(conninfo)
            #expect(stored.count == Self.count + 1)
            #expect(Set(stored).count == stored.count)
            #expect(Set(stored).subtracting(expected).isEmpty && expected.subtracting(stored).isEmpty)

            // Another group reads what the broker still holds: all of it stored already.
            let again = try BackgroundRun(pipeline: second, broker: broker)
            let (againStatus, againOutput) = again.finish()
            #expect(againStatus == 0)
            #expect(againOutput.contains("acknowledged by every sink"))
            let after = try psql(conninfo, "SELECT count(*), count(DISTINCT event_id) FROM events")
            #expect(after == "\(Self.count + 1)|\(Self.count + 1)")
            print(
                "postgres test: first run \(output.split(separator: "\n").first ?? ""); second run \(againOutput.split(separator: "\n").first ?? "")"
            )
        }

        @Test(
            "the server stopped for 30 seconds mid-stream: consumption pauses, then every event lands once",
            .enabled(if: EndToEnd.enabled)
        )
        func outage() async throws {
            let broker = try #require(EndToEnd.bootstrap, "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`")
            let stop = try #require(EndToEnd.environment["COUNTERSIGN_TEST_PG_STOP"])
            let start = try #require(EndToEnd.environment["COUNTERSIGN_TEST_PG_START"])
            let conninfo = try database(outage: true)
            let topic = "pg-outage-\(UInt32.random(in: 0...UInt32.max))"
            _ = try EndToEnd.countersign([
                "generate", "--count", "1", "--seed", "1", "--brokers", broker, "--topic", topic,
            ])
            let file = try pipeline(topic: topic, group: "\(topic)-a", conninfo: conninfo)
            defer { try? FileManager.default.removeItem(at: file) }

            let worker = try BackgroundRun(pipeline: file, broker: broker, idleSeconds: 15)
            #expect(worker.waitForAssignment())
            let generator = Process()
            generator.executableURL = EndToEnd.binary
            generator.arguments = [
                "generate", "--count", "30000", "--seed", "32", "--brokers", broker, "--topic", topic, "--rate", "2000",
            ]
            try generator.run()
            try await Task.sleep(for: .seconds(3))
            #expect(Subprocess.script(stop) == 0)
            try await Task.sleep(for: .seconds(30))
            #expect(Subprocess.script(start) == 0)
            generator.waitUntilExit()
            let (status, output) = worker.finish()
            #expect(status == 0, "\(worker.log.suffix(600))")
            #expect(worker.log.contains("a sink did not acknowledge; pausing"), "the outage was not noticed")

            let expected = try generatedIDs(count: 30_000, seed: 32).union(generatedIDs(count: 1, seed: 1))
            let stored = try storedIDs(conninfo)
            #expect(stored.count == 30_001)
            // Counts only: a failing set comparison would print 30,000 ids.
            #expect(Set(stored).subtracting(expected).count == 0 && expected.subtracting(stored).count == 0)
            print("postgres outage test: \(output.split(separator: "\n").first ?? "")")
        }

        @Test(
            "a stored row's raw bytes are the message as received: their SHA-256 is the ledger entry's",
            .enabled(if: EndToEnd.enabled)
        )
        func rawMatchesLedger() async throws {
            let broker = try #require(EndToEnd.bootstrap, "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`")
            let conninfo = try database()
            let topic = "pg-raw-\(UInt32.random(in: 0...UInt32.max))"
            let work = NSTemporaryDirectory() + "countersign-raw-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: work) }
            #expect(
                try EndToEnd.countersign(["ledger", "keygen", "--name", "raw.test/ledger", "--out", work + "/key"]).0
                    == 0
            )
            #expect(
                try EndToEnd.countersign([
                    "generate", "--count", "3000", "--seed", "33", "--brokers", broker, "--topic", topic,
                ]).0 == 0
            )
            let file = try EndToEnd.pipeline(
                topic: topic,
                group: topic,
                source: """
                      batch_size: 500
                    ledger:
                      directory: \(work)/ledger
                      key_file: \(work)/key.key
                    """,
                sinks: "  - type: postgres\n    conninfo: \(conninfo)\n    retention_days: 3650",
                name: topic
            )
            defer { try? FileManager.default.removeItem(at: file) }
            let (status, _) = try BackgroundRun(pipeline: file, broker: broker).finish()
            #expect(status == 0)

            // The digest the database computes over the stored text, against the
            // digest of the ledger's entry at the row's leaf index.
            let rows = try #require(
                try psql(
                    conninfo,
                    "SELECT kafka_partition, ledger_index, encode(sha256(convert_to(raw, 'UTF8')), 'hex') FROM events ORDER BY kafka_partition, ledger_index"
                )
            ).split(separator: "\n")
            #expect(rows.count == 3_000)
            // Each partition has its own log: export each one the rows name.
            var entries: [String: [Substring]] = [:]
            for partition in Set(rows.compactMap { $0.split(separator: "|").first.map(String.init) }) {
                let (exported, _) = try EndToEnd.countersign([
                    "ledger", "export", "--dir", work + "/ledger", "--key", work + "/key.pub", "--log",
                    "\(topic)/\(partition)", "--output", work + "/entries-\(partition)",
                ])
                #expect(exported == 0)
                entries[partition] = try String(contentsOfFile: work + "/entries-\(partition)", encoding: .utf8)
                    .split(separator: "\n")
            }
            #expect(entries.values.reduce(0) { $0 + $1.count } == 3_000)
            var mismatches = 0
            for row in rows {
                let fields = row.split(separator: "|")
                guard fields.count == 3, let log = entries[String(fields[0])], let leaf = Int(fields[1]),
                    leaf < log.count
                else {
                    mismatches += 1
                    continue
                }
                if SHA256Hasher().sha256(Array(log[leaf].utf8)).hex != fields[2] { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(mismatches) of \(rows.count) rows differ from their ledger entry")
        }
    }
}
