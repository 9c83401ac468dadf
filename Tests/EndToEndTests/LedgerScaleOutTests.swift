import Foundation
import Ledger
import ObjectStorage
import TestSupport
import Testing

extension EndToEndSuites {
    /// Several workers of one group writing one archive in a WORM bucket
    /// (radosgw from the harness), each with its own state directory as if
    /// on its own host: one is frozen past its session (SIGSTOP) and comes
    /// back as a zombie, one is killed with SIGKILL, one is added mid-run.
    /// Every partition's log must hold each of its messages exactly once, in
    /// offset order, and verify; the union must be every produced message.
    @Suite("ledger with many workers on object storage", .serialized)
    struct LedgerScaleOutTests {
        static var events: Int { Int(EndToEnd.environment["COUNTERSIGN_SCALE_OUT_EVENTS"] ?? "") ?? 30_000 }
        static var partitions: Int { events > 100_000 ? 64 : 16 }
        /// Members spread the member-keyed events over the partitions; the
        /// dev-broker keeps about 5 MB per partition and drops the oldest
        /// beyond it, so the busiest partition must stay well under that.
        static var membersPerTenant: Int { max(200, events / 120) }
        /// Each batch commits every partition's log it touches; larger batches
        /// at the larger size keep the requests per entry down (BENCHMARKS.md).
        static var batchSize: Int { events > 100_000 ? 2_000 : 500 }

        @Test(
            "three workers, a zombie, a kill and a newcomer: each partition log holds its messages once, in order, and verifies",
            .enabled(if: EndToEnd.enabled && RadosGWEnvironment.enabled)
        )
        func scaleOut() async throws {
            let tag = "\(UInt32.random(in: 0...UInt32.max))"
            let topic = "ledger-scale-\(tag)"
            let work = FileManager.default.temporaryDirectory.appendingPathComponent(topic)
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let broker = try DevBroker(topics: ["\(topic):\(Self.partitions)", "\(topic).dead-letter:1"], work: work)
            defer { broker.stop() }

            // The messages, produced before any worker starts (the dev-broker keeps them all at this size).
            let (generated, _) = try EndToEnd.countersign([
                "generate", "--count", "\(Self.events)", "--seed", "19", "--tenants", "8", "--members-per-tenant",
                "\(Self.membersPerTenant)",
                "--brokers", broker.bootstrap, "--topic", topic,
            ])
            #expect(generated == 0)
            let (_, jsonl) = try EndToEnd.countersign([
                "generate", "--count", "\(Self.events)", "--seed", "19", "--tenants", "8", "--members-per-tenant",
                "\(Self.membersPerTenant)",
            ])
            let produced = jsonl.split(separator: "\n").map { Array($0.utf8) }
            #expect(produced.count == Self.events)

            let bucket = "countersign-scale-\(tag)"
            let client = try RadosGWEnvironment.client(bucket: bucket)
            try S3Bucket.create(client, retentionDays: 1)
            let (keygen, _) = try EndToEnd.countersign([
                "ledger", "keygen", "--name", "scale.test/ledger", "--out", work.path + "/key",
            ])
            #expect(keygen == 0)
            func pipeline(_ worker: String) throws -> URL {
                let file = work.appendingPathComponent("\(worker).yaml")
                try """
                source:
                  kafka:
                    bootstrap.servers: ${TEST_BROKER}
                    group.id: \(topic)-group
                    session.timeout.ms: "6000"
                    heartbeat.interval.ms: "1500"
                  topics: [\(topic)]
                  dead_letter_topic: \(topic).dead-letter
                  batch_size: \(Self.batchSize)
                detectors:
                  enabled: false
                ledger:
                  key_file: \(work.path)/key.key
                  checkpoint_interval_seconds: 2
                  s3:
                    bucket: \(bucket)
                    prefix: archive
                    endpoint: ${COUNTERSIGN_TEST_S3_ENDPOINT}
                    region: ${COUNTERSIGN_TEST_S3_REGION}
                    access_key: ${COUNTERSIGN_TEST_S3_ACCESS_KEY}
                    secret_key: ${COUNTERSIGN_TEST_S3_SECRET_KEY}
                    retention_days: 1
                sinks:
                  - type: null
                """.write(to: file, atomically: true, encoding: .utf8)
                return file
            }
            // Each worker its own working directory: nothing local is shared.
            let a = try BackgroundRun(pipeline: try pipeline("a"), broker: broker.bootstrap, idleSeconds: nil)
            let b = try BackgroundRun(pipeline: try pipeline("b"), broker: broker.bootstrap, idleSeconds: nil)
            #expect(a.waitForAssignment() && b.waitForAssignment())
            let storage = S3Storage(client: client)
            let archive = LedgerArchive(
                storage: PrefixedStorage(storage, prefix: "archive"),
                origin: "scale.test/ledger"
            )
            func appended() throws -> UInt64 {
                try archive.logs().reduce(0) { total, log in
                    let logStorage = archive.logStorage(log)
                    let last = try LedgerWriter.latestCommitNumber(logStorage)
                    return total + (last == 0 ? 0 : try LedgerWriter.committedSize(logStorage, last))
                }
            }
            #expect(try await EndToEnd.wait(until: { try appended() > 0 }, seconds: 120), "the workers began appending")

            // A freezes past its session: the group gives its partitions to B. Then it wakes up, a zombie.
            kill(a.process.processIdentifier, SIGSTOP)
            try await Task.sleep(for: .seconds(12))
            kill(a.process.processIdentifier, SIGCONT)
            try await Task.sleep(for: .seconds(2))
            // B dies; C joins.
            kill(b.process.processIdentifier, SIGKILL)
            _ = b.finish()
            let c = try BackgroundRun(pipeline: try pipeline("c"), broker: broker.bootstrap, idleSeconds: nil)
            #expect(c.waitForAssignment())
            let all = UInt64(Self.events)
            #expect(try await EndToEnd.wait(until: { try appended() >= all }, seconds: 600), "every message appended")
            try await Task.sleep(for: .seconds(3))
            for run in [a, c] { kill(run.process.processIdentifier, SIGTERM) }
            let statuses = [a, c].map { $0.finish().0 }
            #expect(statuses == [0, 0], "A: \(a.log.suffix(600)) C: \(c.log.suffix(600))")

            // The auditor's view: every log and the organisation checkpoint, from the bucket.
            let (verified, report) = try EndToEnd.countersign(
                ["ledger", "verify", "--location", "s3://\(bucket)/archive", "--key", work.path + "/key.pub"],
                environment: RadosGWEnvironment.awsEnvironment
            )
            #expect(verified == 0, "\(report.suffix(800))")
            #expect(report.contains("\(Self.partitions) logs, \(Self.events) entries"), "\(report.suffix(400))")
            #expect(report.contains("signs \(Self.partitions) logs; every one is present"), "\(report.suffix(400))")

            // Each log: offsets 0, 1, 2, ... once each; the union: every produced message.
            let verifier = try NoteVerifier(
                verifierKey: try String(contentsOfFile: work.path + "/key.pub", encoding: .utf8)
            )
            var union: [[UInt8]: Int] = [:]
            let logs = try archive.logs()
            #expect(logs.count == Self.partitions)
            for log in logs {
                let reader = archive.reader(for: log)
                let size = try reader.checkpoint(verifier: verifier).checkpoint.size
                var lines = reader.indexLines(0..<size, size: size)
                var entries = reader.entries(0..<size, size: size)
                var expected: Int64 = 0
                while let line = try lines.next(), let (_, entry) = try entries.next() {
                    #expect(line.offset == expected, "log \(log): leaf \(line.leaf) holds offset \(line.offset)")
                    expected = line.offset + 1
                    union[try reader.message(from: entry), default: 0] += 1
                }
            }
            #expect(union.count == produced.count && union.values.allSatisfy { $0 == 1 })
            #expect(produced.allSatisfy { union[$0] == 1 }, "every produced message once")
            let fenced = a.log.contains("no longer owns the log")
            print("ledger scale-out: \(Self.events) events, \(Self.partitions) logs; the zombie was fenced: \(fenced)")
        }
    }
}

/// A dev-broker of a test's own, with the topics it needs.
final class DevBroker: @unchecked Sendable {
    let process = Process()
    let bootstrap: String

    init(topics: [String], work: URL) throws {
        let file = work.appendingPathComponent("bootstrap")
        process.executableURL = EndToEnd.binary
        process.arguments = ["dev-broker", "--bootstrap-file", file.path] + topics.flatMap { ["--topic", $0] }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var found: String?
        for _ in 0..<200 {
            if let text = try? String(contentsOf: file, encoding: .utf8), !text.isEmpty {
                found = text.trimmingCharacters(in: .whitespacesAndNewlines)
                break
            }
            usleep(50_000)
        }
        bootstrap = try #require(found, "the dev-broker did not start")
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// radosgw from the harness.
enum RadosGWEnvironment {
    static var enabled: Bool {
        EndToEnd.environment["COUNTERSIGN_TEST_S3_ENDPOINT"] != nil || EndToEnd.environment["CI"] == "true"
    }

    static func client(bucket: String) throws -> S3Client {
        try S3Client(
            settings: S3Settings(
                endpoint: try #require(EndToEnd.environment["COUNTERSIGN_TEST_S3_ENDPOINT"], "radosgw is not running"),
                region: EndToEnd.environment["COUNTERSIGN_TEST_S3_REGION"] ?? "default",
                bucket: bucket,
                prefix: "",
                accessKey: try #require(EndToEnd.environment["COUNTERSIGN_TEST_S3_ACCESS_KEY"]),
                secretKey: try #require(EndToEnd.environment["COUNTERSIGN_TEST_S3_SECRET_KEY"])
            )
        )
    }

    /// What `ledger verify --location s3://...` reads.
    static var awsEnvironment: [String: String] {
        [
            "AWS_ENDPOINT_URL": EndToEnd.environment["COUNTERSIGN_TEST_S3_ENDPOINT"] ?? "",
            "AWS_REGION": EndToEnd.environment["COUNTERSIGN_TEST_S3_REGION"] ?? "default",
            "AWS_ACCESS_KEY_ID": EndToEnd.environment["COUNTERSIGN_TEST_S3_ACCESS_KEY"] ?? "",
            "AWS_SECRET_ACCESS_KEY": EndToEnd.environment["COUNTERSIGN_TEST_S3_SECRET_KEY"] ?? "",
        ]
    }
}
