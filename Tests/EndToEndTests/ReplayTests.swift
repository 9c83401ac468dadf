import Foundation
import TestSupport
import Testing

/// `countersign replay` against what `run` raised live: from Kafka, from the
/// ledger, a tampered ledger, and a range in the middle with a warm-up.
extension EndToEndSuites {
    @Suite("countersign replay", .serialized)
    struct ReplayTests {
        /// Alert ids (sorted) and times of a JSONL stream of detection events.
        func alerts(_ text: String) -> [(id: String, time: String)] {
            text.split(separator: "\n").compactMap { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let id = object["event_id"] as? String, let time = object["occurred_at"] as? String
                else { return nil }
                return (id, time)
            }
            .sorted { $0.id < $1.id }
        }

        func replay(_ arguments: [String], broker: String) throws -> (status: Int32, alerts: String, errors: String) {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID()).jsonl")
            defer { try? FileManager.default.removeItem(at: output) }
            let (status, errors) = try Subprocess.run(
                EndToEnd.binary.path,
                ["replay", "--alerts-out", output.path] + arguments,
                environment: EndToEnd.environment.merging(["TEST_BROKER": broker]) { _, new in new },
                errors: true
            )
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            return (status, text, errors)
        }

        @Test(
            "replay from Kafka and from the ledger gives the alert ids live gave; a tampered ledger fails with status 3; a middle range with warm-up gives live's alerts in that range; --sink postgres re-fills lost rows, idempotently",
            .enabled(if: EndToEnd.enabled)
        )
        func replayMatchesLive() async throws {
            let broker = try #require(EndToEnd.bootstrap, "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`")
            let topic = "replay-\(UInt32.random(in: 0...UInt32.max))"
            let work = FileManager.default.temporaryDirectory.appendingPathComponent(topic)
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let (generated, _) = try EndToEnd.countersign([
                "generate", "--count", "20000", "--seed", "12", "--tenants", "2", "--members-per-tenant", "25",
                "--spacing-ms", "1800", "--incidents", "6", "--brokers", broker, "--topic", topic,
            ])
            #expect(generated == 0)
            let conninfo = try Chaos.database()
            let (keygen, _) = try EndToEnd.countersign([
                "ledger", "keygen", "--name", "replay.test/ledger", "--out", work.path + "/ledger",
            ])
            #expect(keygen == 0)
            let pipeline = try EndToEnd.pipeline(
                topic: topic,
                group: "\(topic)-live",
                source: """
                    detectors:
                      alerts_topic: \(topic).alerts
                    ledger:
                      directory: \(work.path)/ledger-dir
                      key_file: \(work.path)/ledger.key
                    """,
                sinks: "  - type: postgres\n    conninfo: \(conninfo)\n    retention_days: 3650"
            )
            defer { try? FileManager.default.removeItem(at: pipeline) }
            let live = try BackgroundRun(pipeline: pipeline, broker: broker, idleSeconds: 5)
            let (status, _) = live.finish()
            #expect(status == 0, "\(live.log.suffix(800))")
            let (_, liveText) = try Subprocess.run(
                "/usr/bin/kcat",
                ["-b", broker, "-C", "-t", "\(topic).alerts", "-e", "-q", "-f", "%s\\n"]
            )
            let liveAlerts = alerts(liveText)
            #expect(liveAlerts.count >= 2, "the planted incidents raise alerts live")

            // (1) From Kafka, the whole topic: the same ids.
            let fromKafka = try replay(["--pipeline", pipeline.path], broker: broker)
            #expect(fromKafka.status == 0, "\(fromKafka.errors)")
            #expect(alerts(fromKafka.alerts).map(\.id) == liveAlerts.map(\.id))

            // (2) From the ledger, with no broker at all: the same ids, the checkpoint named.
            let ledgerArguments = [
                "--pipeline", pipeline.path, "--from-ledger", work.path + "/ledger-dir", "--key",
                work.path + "/ledger.pub",
            ]
            let fromLedger = try replay(ledgerArguments, broker: "127.0.0.1:1")
            #expect(fromLedger.status == 0, "\(fromLedger.errors)")
            #expect(alerts(fromLedger.alerts).map(\.id) == liveAlerts.map(\.id))
            #expect(fromLedger.errors.contains("verified against the signed checkpoint"))
            #expect(fromLedger.errors.contains("entries, each log's root equal to its signed checkpoint"))

            // (3) One flipped byte in an entry bundle: status 3, no alert written.
            let bundles = work.appendingPathComponent("ledger-dir/logs/\(topic)/0/tile/entries")
            let bundle = try #require(
                try FileManager.default.contentsOfDirectory(atPath: bundles.path).filter { !$0.hasPrefix(".") }.sorted()
                    .first
            )
            let path = bundles.appendingPathComponent(bundle)
            var bytes = try Data(contentsOf: path)
            bytes[bytes.count / 2] ^= 0x01
            try bytes.write(to: path)
            let tampered = try replay(ledgerArguments, broker: "127.0.0.1:1")
            #expect(tampered.status == 3, "\(tampered.errors)")
            #expect(tampered.alerts.isEmpty)
            #expect(tampered.errors.contains("the ledger was altered"))

            // (4) A range in the middle, from after the first live alert, with a warm-up
            // reaching back to the start: exactly live's alerts in that range.
            let times = liveAlerts.map(\.time).sorted()
            let start = times[1]
            let inRange = liveAlerts.filter { $0.time >= start }.map(\.id)
            let middle = try replay(["--pipeline", pipeline.path, "--from", start, "--warmup", "30d"], broker: broker)
            #expect(middle.status == 0, "\(middle.errors)")
            #expect(alerts(middle.alerts).map(\.id) == inRange.sorted())

            // (5) Re-filling the hot tier: rows of the range lost, a replay of
            // the range into the postgres sink puts them back; again, it adds nothing.
            let total = try Chaos.psql(conninfo, "SELECT count(*) FROM events")
            let liveAlertRows = try Chaos.psql(conninfo, "SELECT count(*) FROM alerts")
            #expect(try Chaos.psql(conninfo, "DELETE FROM events WHERE occurred_at >= '\(start)'") != nil)
            let remaining = try Chaos.psql(conninfo, "SELECT count(*) FROM events")
            #expect(remaining != total, "the range held events")
            for _ in 0..<2 {
                let refill = try replay(
                    ["--pipeline", pipeline.path, "--from", start, "--warmup", "30d", "--sink", "postgres"],
                    broker: broker
                )
                #expect(refill.status == 0, "\(refill.errors)")
                #expect(try Chaos.psql(conninfo, "SELECT count(*) FROM events") == total)
                #expect(try Chaos.psql(conninfo, "SELECT count(*) FROM alerts") == liveAlertRows)
            }
        }

        /// Produces JSONL events keyed by member (as `generate` keys them), with kcat.
        func produce(_ lines: [String], topic: String, broker: String) throws {
            var input = ""
            for line in lines {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let actor = (object["actor"] as? [String: Any])?["id"] as? String
                else { continue }
                input += actor + "\t" + line + "\n"
            }
            let (status, output) = try Subprocess.run(
                "/usr/bin/kcat",
                ["-b", broker, "-P", "-t", topic, "-K", "\t"],
                input: Data(input.utf8),
                errors: true
            )
            #expect(status == 0, "\(output)")
        }

        /// The same events three days later, with new ids.
        func later(_ lines: [String]) -> [String] {
            let parser = ISO8601DateFormatter()
            parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return lines.compactMap { line in
                guard var object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let id = object["event_id"] as? String, let time = object["occurred_at"] as? String,
                    let date = parser.date(from: time)
                else { return nil }
                object["event_id"] = "p2-" + id
                object["occurred_at"] = parser.string(from: date.addingTimeInterval(3 * 86_400))
                guard let data = try? JSONSerialization.data(withJSONObject: object) else { return nil }
                return String(decoding: data, as: UTF8.self)
            }
        }

        @Test(
            "partitions whose detection snapshot is older than --from start from it: with no warm-up at all, the alerts live raised in the range",
            .enabled(if: EndToEnd.enabled)
        )
        func replayFromSnapshots() async throws {
            let broker = try #require(EndToEnd.bootstrap, "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`")
            let topic = "replay-snap-\(UInt32.random(in: 0...UInt32.max))"
            let state = FileManager.default.temporaryDirectory.appendingPathComponent("\(topic)-state")
            defer { try? FileManager.default.removeItem(at: state) }
            let (generated, text) = try EndToEnd.countersign([
                "generate", "--count", "12000", "--seed", "12", "--tenants", "2", "--members-per-tenant", "25",
                "--spacing-ms", "1800", "--incidents", "6",
            ])
            #expect(generated == 0)
            let first = text.split(separator: "\n").map(String.init)
            let second = later(first)
            #expect(second.count == first.count)

            // A worker with a state directory reads the first part and stops: its snapshots.
            try produce(first, topic: topic, broker: broker)
            func pipeline(_ group: String, _ extra: String) throws -> URL {
                try EndToEnd.pipeline(
                    topic: topic,
                    group: group,
                    source: "detectors:\n  alerts_topic: \(topic).alerts-\(group)\n\(extra)",
                    name: "\(topic)-\(group)"
                )
            }
            let snapshotting = try pipeline("b", "  state_directory: \(state.path)\n  snapshot_interval_seconds: 1")
            let reference = try pipeline("a", "")
            defer { for file in [snapshotting, reference] { try? FileManager.default.removeItem(at: file) } }
            let worker = try BackgroundRun(pipeline: snapshotting, broker: broker, idleSeconds: 5)
            #expect(worker.finish().0 == 0, "\(worker.log.suffix(600))")
            try produce(second, topic: topic, broker: broker)

            // Live: one worker over both parts.
            let live = try BackgroundRun(pipeline: reference, broker: broker, idleSeconds: 5)
            #expect(live.finish().0 == 0)
            let (_, liveText) = try Subprocess.run(
                "/usr/bin/kcat",
                ["-b", broker, "-C", "-t", "\(topic).alerts-a", "-e", "-q", "-f", "%s\\n"]
            )
            let secondTimes: [String] = second.compactMap { line in
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return object?["occurred_at"] as? String
            }
            let secondStart = try #require(secondTimes.min())
            let expected = alerts(liveText).filter { $0.time >= secondStart }.map(\.id)
            #expect(!expected.isEmpty, "the second part's incidents raise alerts live")

            // Replay of the second part with no warm-up: the snapshots carry the baselines.
            let replayed = try replay(
                ["--pipeline", snapshotting.path, "--from", secondStart, "--warmup", "0"],
                broker: broker
            )
            #expect(replayed.status == 0, "\(replayed.errors)")
            #expect(alerts(replayed.alerts).map(\.id) == expected.sorted())
            #expect(replayed.errors.contains("partitions started from detection snapshots"), "\(replayed.errors)")
        }
    }
}
