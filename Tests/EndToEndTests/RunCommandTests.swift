import Foundation
import Kafka
import Synchronization
import TestSupport
import Testing

/// The `countersign` binary built next to the tests, and the harness's broker.
enum EndToEnd {
    static let environment = ProcessInfo.processInfo.environment
    static var bootstrap: String? { environment["COUNTERSIGN_TEST_KAFKA"] }
    static var enabled: Bool { bootstrap != nil || environment["CI"] == "true" }

    static var binary: URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(environment["COUNTERSIGN_BIN"] ?? ".build/debug/countersign")
    }

    /// Writes a pipeline file for `topic` and `group` with a null sink; the
    /// broker comes from `TEST_BROKER`. `source` adds lines under `source:`.
    static func pipeline(
        topic: String,
        group: String,
        source: String = "",
        sinks: String = "  - type: null",
        name: String? = nil
    ) throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(name ?? group).yaml")
        try """
        source:
          kafka:
            bootstrap.servers: ${TEST_BROKER}
            group.id: \(group)
          topics: [\(topic)]
          dead_letter_topic: \(topic).dead-letter
        \(source)
        sinks:
        \(sinks)
        """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Polls `condition` twice a second for up to `seconds`; its last answer.
    static func wait(until condition: () throws -> Bool, seconds: Int) async throws -> Bool {
        for _ in 0..<(seconds * 2) {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(500))
        }
        return try condition()
    }

    /// The event_id of one canonical JSON line, if it parses.
    static func eventID(_ line: Substring) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        return object?["event_id"] as? String
    }

    /// The events a JSONL sink acknowledged, in order: id and actor. A line
    /// cut short by SIGKILL was never acknowledged and is skipped.
    static func acknowledged(in file: URL) throws -> [(id: String, actor: String)] {
        let text = try String(contentsOf: file, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let id = object["event_id"] as? String,
                let actor = (object["actor"] as? [String: Any])?["id"] as? String
            else { return nil }
            return (id, actor)
        }
    }

    /// Runs countersign and returns its standard output; standard error is discarded.
    static func countersign(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Int32, String)
    {
        try Subprocess.run(binary.path, arguments, environment: environment.merging(extra) { _, new in new })
    }
}

/// A `countersign run` in the background, its standard error watched for a line.
final class BackgroundRun: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let assigned = DispatchSemaphore(value: 0)

    /// `idleSeconds` nil runs until signalled.
    init(pipeline: URL, broker: String, idleSeconds: Int? = 5) throws {
        process.executableURL = EndToEnd.binary
        process.arguments =
            ["run", "--pipeline", pipeline.path] + (idleSeconds.map { ["--exit-when-idle", "\($0)"] } ?? [])
        process.environment = EndToEnd.environment.merging(["TEST_BROKER": broker]) { _, new in new }
        process.standardOutput = output
        process.standardError = errors
        let reader = errors.fileHandleForReading
        let assigned = self.assigned
        let logBox = self.logBox
        Thread {
            var seen = false
            var text = ""
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                logBox.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
                if !seen {
                    text += String(decoding: data, as: UTF8.self)
                    if text.contains("partitions assigned") {
                        seen = true
                        assigned.signal()
                    }
                }
            }
            if !seen { assigned.signal() }
        }.start()
        try process.run()
    }

    /// Waits until the worker owns partitions (or gave up); false after 120 s.
    func waitForAssignment() -> Bool { assigned.wait(timeout: .now() + 120) == .success }

    /// Everything the process wrote to standard error so far.
    var log: String { logBox.text.withLock { $0 } }
    private let logBox = LogBox()

    final class LogBox: Sendable {
        let text = Mutex("")
    }

    /// Waits for the process to end and returns its status and standard output.
    func finish() -> (Int32, String) {
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

extension EndToEndSuites {
    @Suite("countersign run, end to end", .serialized)
    struct RunCommandTests {
        @Test(
            "SIGTERM: the worker finishes its batch, commits exactly what was acknowledged, and exits 0",
            .enabled(if: EndToEnd.enabled)
        )
        func sigterm() async throws {
            let bootstrap = try #require(
                EndToEnd.bootstrap,
                "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`"
            )
            let topic = "sigterm-\(UInt32.random(in: 0...UInt32.max))"
            let (generated, _) = try EndToEnd.countersign([
                "generate", "--count", "30000", "--seed", "5", "--brokers", bootstrap, "--topic", topic,
            ])
            #expect(generated == 0)
            let group = "\(topic)-group"
            let pipeline = try EndToEnd.pipeline(topic: topic, group: group, source: "  batch_size: 500")
            defer { try? FileManager.default.removeItem(at: pipeline) }

            let run = try BackgroundRun(pipeline: pipeline, broker: bootstrap, idleSeconds: nil)
            #expect(run.waitForAssignment())
            // Let it consume a little so that the usual case is not 0 == 0; the
            // check below holds wherever the signal lands.
            try await Task.sleep(for: .milliseconds(1_500))
            run.process.terminate()  // SIGTERM
            let (status, output) = run.finish()
            #expect(status == 0)
            let acknowledged = try #require(
                output.split(separator: "\n").first { $0.hasPrefix("run: ") }
                    .flatMap { $0.split(separator: " ").dropFirst(3).first }.flatMap { Int($0) },
                "the run summary names the acknowledged count"
            )

            // Committed offsets account for exactly the acknowledged events.
            let commits = try KafkaConsumer(
                properties: ["bootstrap.servers": bootstrap, "group.id": group],
                topics: [topic]
            )
            let reader = try KafkaConsumer(
                properties: ["bootstrap.servers": bootstrap, "group.id": "\(group)-watermarks"],
                topics: [topic]
            )
            var partitions: [TopicPartition] = []
            var partition: Int32 = 0
            while true {
                let candidate = TopicPartition(topic: topic, partition: partition)
                guard (try? await reader.watermarks(candidate)) != nil else { break }
                partitions.append(candidate)
                partition += 1
            }
            #expect(!partitions.isEmpty)
            var committedEvents: Int64 = 0
            for (candidate, offset) in try await commits.committed(partitions) {
                if let offset { committedEvents += offset - (try await reader.watermarks(candidate).low) }
            }
            #expect(committedEvents == Int64(acknowledged))
            print("sigterm test: \(acknowledged) events acknowledged and committed before exit")
        }

        @Test(
            "two workers in a group, one killed with SIGKILL mid-stream: the survivor covers every event",
            .enabled(if: EndToEnd.enabled)
        )
        func failover() async throws {
            let bootstrap = try #require(
                EndToEnd.bootstrap,
                "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`"
            )
            let topic = "failover-\(UInt32.random(in: 0...UInt32.max))"
            // Create the topic (auto-created by the first message) before the workers subscribe.
            _ = try EndToEnd.countersign([
                "generate", "--count", "1", "--seed", "1", "--brokers", bootstrap, "--topic", topic,
            ])
            let group = "\(topic)-group"
            // Each worker appends what it acknowledged to its own file (fsynced before acknowledging).
            let temporary = FileManager.default.temporaryDirectory
            let doomedFile = temporary.appendingPathComponent("\(topic)-doomed.jsonl")
            let survivorFile = temporary.appendingPathComponent("\(topic)-survivor.jsonl")
            func pipeline(_ name: String, _ file: URL) throws -> URL {
                try EndToEnd.pipeline(
                    topic: topic,
                    group: group,
                    source: "  batch_size: 200\n  commit_interval_ms: 200",
                    sinks: "  - type: jsonl\n    path: \(file.path)",
                    name: "\(topic)-\(name)"
                )
            }
            let doomedPipeline = try pipeline("doomed", doomedFile)
            let survivorPipeline = try pipeline("survivor", survivorFile)
            defer {
                for file in [doomedFile, survivorFile, doomedPipeline, survivorPipeline] {
                    try? FileManager.default.removeItem(at: file)
                }
            }

            let doomed = try BackgroundRun(pipeline: doomedPipeline, broker: bootstrap, idleSeconds: nil)
            #expect(doomed.waitForAssignment())
            // Idle longer than the 10 s session: the dead member's partitions
            // reach the survivor only once the coordinator gives up on it.
            let survivor = try BackgroundRun(pipeline: survivorPipeline, broker: bootstrap, idleSeconds: 20)
            #expect(survivor.waitForAssignment())
            // 15,000 events (about 8 MB) stay within what the mock broker keeps
            // (about 5 MB per partition) while the survivor waits out the session.
            let generator = Process()
            generator.executableURL = EndToEnd.binary
            generator.arguments = [
                "generate", "--count", "15000", "--seed", "8", "--brokers", bootstrap, "--topic", topic, "--rate",
                "5000",
            ]
            generator.standardError = FileHandle.nullDevice
            try generator.run()
            try await Task.sleep(for: .milliseconds(1_500))
            kill(doomed.process.processIdentifier, SIGKILL)
            generator.waitUntilExit()
            #expect(generator.terminationStatus == 0)
            let (status, output) = survivor.finish()
            _ = doomed.finish()
            #expect(
                doomed.process.terminationReason == .uncaughtSignal,
                "the first worker died on its own: \(doomed.log.suffix(600))"
            )
            #expect(status == 0)
            #expect(output.contains("run: "))

            // Every event is covered: the group's commits reach the end of every partition.
            let reader = try KafkaConsumer(
                properties: ["bootstrap.servers": bootstrap, "group.id": "\(group)-watermarks"],
                topics: [topic]
            )
            var ends: [TopicPartition: Int64?] = [:]
            var partition: Int32 = 0
            while let (_, high) = try? await reader.watermarks(TopicPartition(topic: topic, partition: partition)) {
                ends[TopicPartition(topic: topic, partition: partition)] = high
                partition += 1
            }
            #expect(ends.count > 1)
            let commits = try KafkaConsumer(
                properties: ["bootstrap.servers": bootstrap, "group.id": group],
                topics: [topic]
            )
            #expect(try await commits.committed(Array(ends.keys)) == ends)
            print("failover test: survivor said \(output.split(separator: "\n").first ?? "")")

            // The union of what the two sinks acknowledged is every event produced.
            let (_, first) = try EndToEnd.countersign(["generate", "--count", "1", "--seed", "1"])
            let (_, rest) = try EndToEnd.countersign(["generate", "--count", "15000", "--seed", "8"])
            let produced = Set((first + rest).split(separator: "\n").compactMap(EndToEnd.eventID))
            #expect(produced.count == 15_001)
            let fromDoomed = try EndToEnd.acknowledged(in: doomedFile)
            let fromSurvivor = try EndToEnd.acknowledged(in: survivorFile)
            let covered = Set(fromDoomed.map(\.id)).union(fromSurvivor.map(\.id))
            // Counts only: a failing set comparison would print 40,000 ids.
            #expect(produced.subtracting(covered).count == 0, "events produced but never acknowledged")
            #expect(covered.subtracting(produced).count == 0, "events acknowledged but never produced")
            #expect(!fromDoomed.isEmpty, "the first worker was killed before it acknowledged anything")
            // Duplicates come only from the dead worker's uncommitted tail: the
            // survivor never repeats itself, and for each member (one key, one
            // partition) the repeated events are the last the dead worker handled.
            #expect(Set(fromSurvivor.map(\.id)).count == fromSurvivor.count)
            let again = Set(fromDoomed.map(\.id)).intersection(fromSurvivor.map(\.id))
            var tailStarted: Set<String> = []
            var outsideTail = 0
            for event in fromDoomed {
                if again.contains(event.id) {
                    tailStarted.insert(event.actor)
                } else if tailStarted.contains(event.actor) {
                    outsideTail += 1
                }
            }
            #expect(outsideTail == 0, "\(outsideTail) events were handled twice outside an uncommitted tail")
            print(
                "failover test: dead worker acknowledged \(fromDoomed.count), survivor \(fromSurvivor.count), "
                    + "\(again.count) delivered twice (the dead worker's uncommitted tail)"
            )
        }

        /// The mock broker keeps about 5 MB per partition, less than 200,000
        /// events over 8 partitions, so the worker consumes while the generator
        /// produces, as in production.
        @Test(
            "200,000 events over 8 partitions: every one acknowledged, committed offsets at the end of each partition",
            .enabled(if: EndToEnd.enabled)
        )
        func twoHundredThousand() async throws {
            let bootstrap = try #require(
                EndToEnd.bootstrap,
                "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`"
            )
            let group = "run-test-\(UInt32.random(in: 0...UInt32.max))"
            let pipeline = try EndToEnd.pipeline(topic: "mcp.audit", group: group)
            defer { try? FileManager.default.removeItem(at: pipeline) }

            // Watermarks from a consumer of another group: one in the worker's
            // group would take part of its partitions.
            let reader = try KafkaConsumer(
                properties: ["bootstrap.servers": bootstrap, "group.id": "\(group)-watermarks"],
                topics: ["mcp.audit"]
            )
            let partitions = (0..<8).map { TopicPartition(topic: "mcp.audit", partition: Int32($0)) }
            var before: [TopicPartition: (low: Int64, high: Int64)] = [:]
            for partition in partitions { before[partition] = try await reader.watermarks(partition) }
            // A new group starts at the earliest offset: whatever the topic held
            // before this test counts too (nothing, on the harness's fresh broker).
            let held = partitions.reduce(Int64(0)) { $0 + before[$1]!.high - before[$1]!.low }

            let run = try BackgroundRun(pipeline: pipeline, broker: bootstrap)
            #expect(run.waitForAssignment())
            let (generated, _) = try EndToEnd.countersign([
                "generate", "--count", "200000", "--seed", "21", "--brokers", bootstrap, "--topic", "mcp.audit",
                "--rate", "10000",
            ])
            #expect(generated == 0)
            let (status, output) = run.finish()
            #expect(status == 0)
            let expected = 200_000 + held
            #expect(
                output.contains("run: \(expected) consumed, \(expected) acknowledged by every sink, 0 dead-lettered")
            )

            var after: [TopicPartition: Int64] = [:]
            for partition in partitions { after[partition] = try await reader.watermarks(partition).high }
            let produced = partitions.reduce(Int64(0)) { sum, partition in
                sum + after[partition]! - before[partition]!.high
            }
            #expect(produced == 200_000)
            // The group's commits, read once the worker has left the group.
            let commits = try KafkaConsumer(
                properties: ["bootstrap.servers": bootstrap, "group.id": group],
                topics: ["mcp.audit"]
            )
            let committed = try await commits.committed(partitions)
            #expect(committed == after.mapValues { Optional($0) })
        }
    }
}
