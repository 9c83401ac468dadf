import Foundation
import TestSupport
import Testing

extension EndToEndSuites {
    /// Detection state that follows its partitions between workers on
    /// several "hosts" (each its own working directory, nothing local
    /// shared), through the shared PostgreSQL store: the alerts of a group
    /// whose members are killed, added and stopped must be exactly those of
    /// one uninterrupted worker, and the hot tier must hold every event once.
    @Suite("detection with many workers", .serialized)
    struct DetectionScaleOutTests {
        static var events: Int { Int(EndToEnd.environment["COUNTERSIGN_DETECTION_SCALE_EVENTS"] ?? "") ?? 40_000 }
        /// The dev-broker keeps about 5 MB per partition: room for every event.
        static var partitions: Int { events > 100_000 ? 128 : 16 }
        static var server: String? { EndToEnd.environment["COUNTERSIGN_TEST_PG"] }

        struct Database {
            let conninfo: String

            init(server: String, name: String) throws {
                #expect(try Chaos.psql(server, "CREATE DATABASE \(name)") != nil)
                conninfo = server.replacingOccurrences(of: "dbname=countersign_test", with: "dbname=\(name)")
            }

            func value(_ sql: String) throws -> String { try Chaos.psql(conninfo, sql) ?? "" }
            func count(_ sql: String) throws -> Int { Int(try value(sql)) ?? -1 }
            func alertIDs() throws -> Set<String> {
                Set(try value("SELECT alert_id FROM alerts").split(separator: "\n").map(String.init))
            }
            /// Alerts per detector, for the log.
            func detectors() throws -> String {
                try value(
                    "SELECT string_agg(detector || '=' || n, ' ') FROM"
                        + " (SELECT detector, count(*) n FROM alerts GROUP BY detector ORDER BY detector) d"
                )
            }
        }

        struct Run {
            let topic: String
            let broker: String
            let work: URL

            /// A worker's pipeline: hot tier and, unless `stateConninfo` names
            /// another server, detection state in `database`.
            func pipeline(
                _ name: String,
                group: String,
                database: Database,
                stateConninfo: String? = nil
            ) throws
                -> URL
            {
                let directory = work.appendingPathComponent(name)
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                let file = directory.appendingPathComponent("pipeline.yaml")
                try """
                source:
                  kafka:
                    bootstrap.servers: ${TEST_BROKER}
                    group.id: \(group)
                    session.timeout.ms: "6000"
                    heartbeat.interval.ms: "1500"
                  topics: [\(topic)]
                  dead_letter_topic: \(topic).dead-letter
                  batch_size: 500
                  commit_interval_ms: 200
                detectors:
                  state_store: postgres
                \(stateConninfo.map { "  state_conninfo: \"\($0)\"" } ?? "")
                  snapshot_interval_seconds: 2
                sinks:
                  - type: postgres
                    conninfo: "\(database.conninfo)"
                    retention_days: 3650
                """.write(to: file, atomically: true, encoding: .utf8)
                return file
            }
        }

        @Test(
            "three workers, a kill, a newcomer and a stop, then a 30 s store outage: the alerts of one uninterrupted worker, every event once",
            .enabled(if: EndToEnd.enabled)
        )
        func scaleOut() async throws {
            let server = try #require(Self.server, "COUNTERSIGN_TEST_PG is not set; run through `make test`")
            let outage = try #require(EndToEnd.environment["COUNTERSIGN_TEST_PG_OUTAGE"])
            let stop = try #require(EndToEnd.environment["COUNTERSIGN_TEST_PG_STOP"])
            let start = try #require(EndToEnd.environment["COUNTERSIGN_TEST_PG_START"])
            let tag = "\(UInt32.random(in: 0...UInt32.max))"
            let topic = "detect-scale-\(tag)"
            let work = FileManager.default.temporaryDirectory.appendingPathComponent(topic)
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let broker = try DevBroker(topics: ["\(topic):\(Self.partitions)", "\(topic).dead-letter:1"], work: work)
            defer { broker.stop() }
            let run = Run(topic: topic, broker: broker.bootstrap, work: work)

            // Planted incidents among members spread over every partition, produced before any worker starts.
            let traffic = [
                "generate", "--count", "\(Self.events)", "--seed", "20", "--tenants", "4", "--members-per-tenant",
                "\(max(50, Self.events / 400))", "--spacing-ms", "400", "--incidents", "12",
            ]
            let (generated, _) = try EndToEnd.countersign(traffic + ["--brokers", broker.bootstrap, "--topic", topic])
            #expect(generated == 0)
            // The steady events and the incidents' own.
            let all = try EndToEnd.countersign(traffic).1.split(separator: "\n").count
            #expect(all > Self.events)

            // The reference: one worker, never interrupted.
            let reference = try Database(server: server, name: "scale_ref_\(tag)")
            let alone = try BackgroundRun(
                pipeline: try run.pipeline("reference", group: "\(topic)-ref", database: reference),
                broker: broker.bootstrap,
                idleSeconds: 8
            )
            let (aloneStatus, _) = alone.finish()
            #expect(aloneStatus == 0, "\(alone.log.suffix(600))")
            #expect(try reference.count("SELECT count(*) FROM events") == all)
            let expected = try reference.alertIDs()
            let referenceDetectors = try reference.detectors()
            #expect(expected.count >= 5, "the planted incidents raise alerts: \(referenceDetectors)")

            // The group: A and B; A killed; C added; B stopped; C finishes.
            let scaled = try Database(server: server, name: "scale_grp_\(tag)")
            let group = "\(topic)-grp"
            func stored() throws -> Int { try scaled.count("SELECT count(*) FROM events") }
            let a = try BackgroundRun(
                pipeline: try run.pipeline("a", group: group, database: scaled),
                broker: broker.bootstrap,
                idleSeconds: nil
            )
            let b = try BackgroundRun(
                pipeline: try run.pipeline("b", group: group, database: scaled),
                broker: broker.bootstrap,
                idleSeconds: nil
            )
            #expect(a.waitForAssignment() && b.waitForAssignment())
            #expect(try await EndToEnd.wait(until: { try stored() >= all / 5 }, seconds: 300), "A and B store")
            kill(a.process.processIdentifier, SIGKILL)
            _ = a.finish()
            var steps = ["A killed at \(try stored())"]
            #expect(try await EndToEnd.wait(until: { try stored() >= all * 2 / 5 }, seconds: 300), "B takes over")
            let c = try BackgroundRun(
                pipeline: try run.pipeline("c", group: group, database: scaled),
                broker: broker.bootstrap,
                idleSeconds: nil
            )
            #expect(c.waitForAssignment())
            steps.append("C assigned at \(try stored())")
            #expect(try await EndToEnd.wait(until: { try stored() >= all * 3 / 5 }, seconds: 300), "B and C store")
            steps.append("B stopped at \(try stored())")
            kill(b.process.processIdentifier, SIGTERM)
            let (bStatus, _) = b.finish()
            #expect(bStatus == 0, "B: \(b.log.suffix(600))")
            #expect(try await EndToEnd.wait(until: { try stored() >= all }, seconds: 600), "C stores the rest")
            try await Task.sleep(for: .seconds(3))
            kill(c.process.processIdentifier, SIGTERM)
            let (cStatus, _) = c.finish()
            #expect(cStatus == 0, "C: \(c.log.suffix(600))")

            #expect(try scaled.count("SELECT count(*) FROM events") == all)
            #expect(try scaled.count("SELECT count(DISTINCT event_id) FROM events") == all)
            let got = try scaled.alertIDs()
            let groupDetectors = try scaled.detectors()
            #expect(got == expected, "group: \(groupDetectors); alone: \(referenceDetectors)")
            let revocationSaves = [b, c].filter { $0.log.contains("detection state saved for revoked partitions") }
            #expect(!revocationSaves.isEmpty, "a revocation saved the state it gave up")
            // A partition read to its end by its first owner before that owner's
            // first snapshot (A, killed early) has no row: nobody judges it again.
            let rows = try scaled.count("SELECT count(*) FROM detection_state")
            #expect((1...Self.partitions).contains(rows), "\(rows) partitions saved")
            print(
                "detection scale-out: \(all) events, \(Self.partitions) partitions, \(expected.count) alerts"
                    + " (\(referenceDetectors)); the group's equal: \(got == expected);"
                    + " events stored when \(steps.joined(separator: ", "))"
            )

            // The store on a server of its own, stopped for 30 s while two workers run.
            let outageServer = outage.replacingOccurrences(of: "dbname=countersign_test", with: "dbname=postgres")
            let stateName = "scale_state_\(tag)"
            #expect(try Chaos.psql(outageServer, "CREATE DATABASE \(stateName)") != nil)
            let state = outage.replacingOccurrences(of: "dbname=countersign_test", with: "dbname=\(stateName)")
            let third = try Database(server: server, name: "scale_out_\(tag)")
            let outageGroup = "\(topic)-outage"
            func storedThird() throws -> Int { try third.count("SELECT count(*) FROM events") }
            let d = try BackgroundRun(
                pipeline: try run.pipeline("d", group: outageGroup, database: third, stateConninfo: state),
                broker: broker.bootstrap,
                idleSeconds: nil
            )
            let e = try BackgroundRun(
                pipeline: try run.pipeline("e", group: outageGroup, database: third, stateConninfo: state),
                broker: broker.bootstrap,
                idleSeconds: nil
            )
            #expect(d.waitForAssignment() && e.waitForAssignment())
            #expect(try await EndToEnd.wait(until: { try storedThird() >= all / 10 }, seconds: 300), "D and E store")
            let stoppedAt = try storedThird()
            #expect(Subprocess.script(stop) == 0)
            try await Task.sleep(for: .seconds(30))
            #expect(Subprocess.script(start) == 0)
            var back: String?
            #expect(
                try await EndToEnd.wait(
                    until: {
                        back = try Chaos.psql(state, "SELECT now()")
                        return back != nil
                    },
                    seconds: 60
                )
            )
            let returned = try #require(back, "the store came back")
            #expect(
                try await EndToEnd.wait(until: { try storedThird() >= all }, seconds: 600),
                "D and E store everything"
            )
            // Saved again once the store returned.
            let savedSince = {
                Int(
                    try Chaos.psql(state, "SELECT count(*) FROM detection_state WHERE updated_at > '\(returned)'") ?? ""
                )
                    ?? 0
            }
            #expect(
                try await EndToEnd.wait(until: { try savedSince() > 0 }, seconds: 60),
                "the state is saved when the store returns"
            )
            for worker in [d, e] { kill(worker.process.processIdentifier, SIGTERM) }
            #expect([d, e].map { $0.finish().0 } == [0, 0], "D: \(d.log.suffix(400)) E: \(e.log.suffix(400))")
            #expect(d.log.contains("detection snapshot not saved") || e.log.contains("detection snapshot not saved"))
            #expect(try third.count("SELECT count(DISTINCT event_id) FROM events") == all)
            #expect(try third.count("SELECT count(*) FROM events") == all)
            let throughOutage = try third.alertIDs()
            let outageDetectors = try third.detectors()
            #expect(throughOutage == expected, "through the outage: \(outageDetectors)")
            print(
                "detection store outage: store stopped at \(stoppedAt) events stored; \(all) events stored once,"
                    + " alerts equal: \(throughOutage == expected)"
            )
        }
    }
}
