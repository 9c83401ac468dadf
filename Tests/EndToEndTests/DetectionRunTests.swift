import Foundation
import TestSupport
import Testing

/// Detection inside `run`: alerts reach the alerts topic, and a worker killed
/// mid-stream and restarted from its state directory gives exactly the alerts
/// of an uninterrupted worker.
extension EndToEndSuites {
    @Suite("countersign run with detection", .serialized)
    struct DetectionRunTests {
        /// The event ids (alert ids) of every message in a topic, read with kcat.
        func alertIDs(_ topic: String, broker: String) throws -> [String] {
            let text = try Subprocess.run(
                "/usr/bin/kcat",
                ["-b", broker, "-C", "-t", topic, "-e", "-q", "-f", "%s\\n"]
            )
            .output
            return text.split(separator: "\n").compactMap(EndToEnd.eventID)
        }

        func pipeline(topic: String, group: String, state: URL, alerts: String) throws -> URL {
            try EndToEnd.pipeline(
                topic: topic,
                group: group,
                source: """
                      batch_size: 100
                      commit_interval_ms: 100
                    detectors:
                      alerts_topic: \(alerts)
                      state_directory: \(state.path)
                      snapshot_interval_seconds: 1
                    """
            )
        }

        @Test(
            "a worker killed with SIGKILL and restarted from its snapshots raises exactly the alerts of an uninterrupted one",
            .enabled(if: EndToEnd.enabled)
        )
        func restartGivesSameAlerts() async throws {
            let broker = try #require(EndToEnd.bootstrap, "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`")
            let topic = "detect-run-\(UInt32.random(in: 0...UInt32.max))"
            let temporary = FileManager.default.temporaryDirectory
            let stateA = temporary.appendingPathComponent("\(topic)-state-a")
            let stateB = temporary.appendingPathComponent("\(topic)-state-b")
            defer { for directory in [stateA, stateB] { try? FileManager.default.removeItem(at: directory) } }
            // Create the topic before the worker subscribes.
            _ = try EndToEnd.countersign([
                "generate", "--count", "1", "--seed", "1", "--brokers", broker, "--topic", topic,
            ])

            // The worker under test consumes while the generator produces; it is
            // killed part-way and restarted with the same group and state.
            let interrupted = try pipeline(
                topic: topic,
                group: "\(topic)-b",
                state: stateB,
                alerts: "\(topic).alerts-b"
            )
            let first = try BackgroundRun(pipeline: interrupted, broker: broker, idleSeconds: nil)
            #expect(first.waitForAssignment())
            let generator = Process()
            generator.executableURL = EndToEnd.binary
            generator.arguments = [
                "generate", "--count", "20000", "--seed", "12", "--tenants", "2", "--members-per-tenant", "25",
                "--spacing-ms", "1800", "--incidents", "6", "--brokers", broker, "--topic", topic, "--rate", "6000",
            ]
            generator.standardError = FileHandle.nullDevice
            try generator.run()
            try await Task.sleep(for: .milliseconds(2_500))
            kill(first.process.processIdentifier, SIGKILL)
            _ = first.finish()
            generator.waitUntilExit()
            #expect(generator.terminationStatus == 0)
            let before = try alertIDs("\(topic).alerts-b", broker: broker)
            let second = try BackgroundRun(pipeline: interrupted, broker: broker, idleSeconds: 20)
            let (status, _) = second.finish()
            #expect(status == 0, "\(second.log.suffix(800))")

            // The reference: another group reads the whole topic in one go.
            let whole = try pipeline(topic: topic, group: "\(topic)-a", state: stateA, alerts: "\(topic).alerts-a")
            let reference = try BackgroundRun(pipeline: whole, broker: broker, idleSeconds: 5)
            let (referenceStatus, _) = reference.finish()
            #expect(referenceStatus == 0)
            for file in [interrupted, whole] { try? FileManager.default.removeItem(at: file) }

            let expected = try alertIDs("\(topic).alerts-a", broker: broker)
            let got = try alertIDs("\(topic).alerts-b", broker: broker)
            #expect(expected.count >= 3, "the planted incidents raise alerts")
            #expect(Set(expected).count == expected.count, "one uninterrupted run raises each alert once")
            #expect(
                Set(got) == Set(expected),
                "restarted: \(Set(got).count) distinct alerts, uninterrupted: \(expected.count)"
            )
            print(
                "detection restart test: \(expected.count) alerts; the killed worker had sent \(before.count),"
                    + " \(got.count - Set(got).count) re-sent after the restart (same ids)"
            )
        }

        @Test("detect --partitions N raises the alert ids run raised on the same topic content")
        func detectMatchesRun() async throws {
            let broker = try #require(EndToEnd.bootstrap, "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`")
            let topic = "detect-parity-\(UInt32.random(in: 0...UInt32.max))"
            let temporary = FileManager.default.temporaryDirectory
            let events = temporary.appendingPathComponent("\(topic).jsonl")
            let alerts = temporary.appendingPathComponent("\(topic)-alerts.jsonl")
            defer { for file in [events, alerts] { try? FileManager.default.removeItem(at: file) } }
            // The same generated traffic, once to a file and once to the
            // topic (keyed by member, librdkafka's default partitioner); small
            // enough for the dev-broker's 5 MB per partition to keep it all.
            let arguments = [
                "generate", "--count", "20000", "--seed", "21", "--tenants", "2", "--members-per-tenant", "25",
                "--spacing-ms", "1800", "--incidents", "6",
            ]
            #expect(try EndToEnd.countersign(arguments + ["-o", events.path]).0 == 0)
            #expect(try EndToEnd.countersign(arguments + ["--brokers", broker, "--topic", topic]).0 == 0)
            let metadata = try Subprocess.run("/usr/bin/kcat", ["-b", broker, "-L", "-t", topic]).output
            let partitions = metadata.split(separator: "\n").filter {
                $0.contains("partition ") && $0.contains("leader")
            }
            .count
            #expect(partitions > 1, "\(metadata)")

            let file = try pipeline(
                topic: topic,
                group: "\(topic)-run",
                state: temporary.appendingPathComponent("\(topic)-state"),
                alerts: "\(topic).alerts"
            )
            defer { try? FileManager.default.removeItem(at: file) }
            let run = try BackgroundRun(pipeline: file, broker: broker, idleSeconds: 5)
            let (status, _) = run.finish()
            #expect(status == 0, "\(run.log.suffix(800))")
            let fromRun = try alertIDs("\(topic).alerts", broker: broker)

            let (detected, _) = try EndToEnd.countersign([
                "detect", "--input", events.path, "--output", alerts.path, "--partitions", "\(partitions)", "--quiet",
            ])
            #expect(detected == 0)
            let fromDetect = try String(contentsOf: alerts, encoding: .utf8).split(separator: "\n")
                .compactMap(EndToEnd.eventID)
            #expect(fromRun.count >= 3, "the planted incidents raise alerts")
            #expect(Set(fromDetect) == Set(fromRun), "detect \(fromDetect.count) alerts, run \(fromRun.count)")
            print(
                "detect/run parity: \(fromRun.count) alerts from run over \(partitions) partitions, the same ids from detect"
            )
        }
    }
}
