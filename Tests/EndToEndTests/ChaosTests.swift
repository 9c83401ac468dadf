import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The rule, checked against the release or debug binary, the harness's
/// PostgreSQL, rsyslog and broker: every message ends, in bounded time,
/// either in every required sink or in the dead-letter topic with a reason;
/// nothing about one message stops the worker; shutdown is bounded.
/// Results of `make chaos` are in RELIABILITY.md.
extension EndToEndSuites {
    @Suite("chaos: hostile input and faults", .serialized)
    struct ChaosTests {
        func broker() throws -> String {
            try #require(EndToEnd.bootstrap, "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`")
        }

        /// Valid generated events: their bytes and ids.
        func generated(count: Int, seed: Int) throws -> [(id: String, bytes: [UInt8])] {
            let (status, text) = try EndToEnd.countersign(["generate", "--count", "\(count)", "--seed", "\(seed)"])
            #expect(status == 0)
            return text.split(separator: "\n").compactMap { line in
                EndToEnd.eventID(line).map { ($0, Array(line.utf8)) }
            }
        }

        func sha256(_ bytes: [UInt8]) throws -> String {
            let (_, text) = try Subprocess.run("/usr/bin/sha256sum", ["-"], input: Data(bytes))
            return String(text.prefix(64))
        }

        /// Waits for the process to end, killing it after `seconds` (a hang is a failure, not a stuck suite).
        func finish(_ run: BackgroundRun, within seconds: Double) -> (status: Int32, output: String, hung: Bool) {
            let deadline = Date().addingTimeInterval(seconds)
            while run.process.isRunning, Date() < deadline { usleep(100_000) }
            let hung = run.process.isRunning
            if hung { kill(run.process.processIdentifier, SIGKILL) }
            let (status, output) = run.finish()
            return (status, output, hung)
        }

        @Test(
            "poison pills: every hostile message is stored once or dead-lettered once with its reason; the worker never stops",
            .enabled(if: EndToEnd.enabled)
        )
        func poisonPills() async throws {
            let broker = try broker()
            let tag = "\(UInt32.random(in: 0...UInt32.max))"
            let topic = "chaos-\(tag)"
            let conninfo = try Chaos.database()
            let corpus = try Chaos.corpus(tag: tag)
            let valid = try generated(count: Chaos.events, seed: 21)
            // Interleave: the hostile cases spread among valid events over four partitions.
            var messages: [(key: String, value: [UInt8], partition: Int32)] = []
            let stride = max(1, valid.count / corpus.count)
            var next = 0
            for (index, event) in valid.enumerated() {
                messages.append(("valid-\(index)", event.bytes, Int32(index % 4)))
                if index % stride == 0, next < corpus.count {
                    messages.append(("case-\(next)", corpus[next].bytes, Int32(next % 4)))
                    next += 1
                }
            }
            while next < corpus.count {
                messages.append(("case-\(next)", corpus[next].bytes, Int32(next % 4)))
                next += 1
            }
            // The topic exists (auto-created by its first message) before the worker subscribes.
            try await Chaos.produce([messages[0]], topic: topic, broker: broker)

            let syslog = try #require(EndToEnd.environment["COUNTERSIGN_TEST_SYSLOG_EVENTS"], "run through `make test`")
            let colon = try #require(syslog.lastIndex(of: ":"))
            let pipeline = try EndToEnd.pipeline(
                topic: topic,
                group: "\(topic)-group",
                source: "  batch_size: 500\ndetectors:\n  enabled: true",
                sinks: """
                      - type: postgres
                        conninfo: \(conninfo)
                        retention_days: 3650
                      - type: siem
                        host: \(syslog[..<colon])
                        port: \(syslog[syslog.index(after: colon)...])
                        transport: tcp
                        send: all
                    """
            )
            defer { try? FileManager.default.removeItem(at: pipeline) }
            // Everything is on the topic before the worker starts: its idle
            // exit must not race a producer slowed down by a busy machine.
            try await Chaos.produce(Array(messages.dropFirst()), topic: topic, broker: broker, rate: 10_000)
            let run = try BackgroundRun(pipeline: pipeline, broker: broker, idleSeconds: 5)
            #expect(run.waitForAssignment())
            let (status, output, hung) = finish(run, within: 900)
            #expect(!hung, "the worker did not finish")
            #expect(status == 0, "the worker stopped: \(run.log.suffix(2_000))")
            #expect(output.contains("run: \(messages.count) consumed"))

            // PostgreSQL: every valid event and every stored case exactly once.
            let rows = try Chaos.stored(conninfo)
            for event in valid { #expect(rows[event.id] == 1, "valid event \(event.id)") }
            let letters = try Chaos.letters("\(topic).dead-letter", broker: broker)
            var deadLettered = 0
            for (index, item) in corpus.enumerated() {
                let mine = letters.filter { $0.key == "case-\(index)" }
                switch item.fate {
                case .stored:
                    #expect(rows[item.eventID!] == 1, "\(item.name): stored once")
                    #expect(mine.isEmpty, "\(item.name): not dead-lettered")
                case .deadLettered(let codes) where codes == ["sink_rejected"]:
                    let rejected = letters.filter { $0.value.contains(item.eventID!) }
                    #expect(rejected.count == 1, "\(item.name): dead-lettered once")
                    #expect(rejected.first?.headers["countersign.error.code"] == "sink_rejected")
                    #expect(rows[item.eventID!] == nil, "\(item.name): not stored")
                    deadLettered += 1
                case .deadLettered(let codes):
                    #expect(mine.count == 1, "\(item.name): dead-lettered once, not \(mine.count) times")
                    #expect(codes.contains(mine.first?.headers["countersign.error.code"] ?? "-"), "\(item.name)")
                    #expect(mine.first?.size == item.bytes.count, "\(item.name): byte for byte")
                    #expect(mine.first?.headers["countersign.error.reason"]?.isEmpty == false)
                    deadLettered += 1
                case .truncated(let code):
                    #expect(mine.count == 1, "\(item.name): dead-lettered once")
                    let letter = try #require(mine.first)
                    #expect(letter.headers["countersign.error.code"] == code)
                    #expect(letter.size == 900_000)
                    #expect(letter.headers["countersign.truncated"] == "true")
                    #expect(letter.headers["countersign.original.size"] == "\(item.bytes.count)")
                    #expect(letter.headers["countersign.original.sha256"] == (try sha256(item.bytes)))
                    deadLettered += 1
                }
            }
            #expect(letters.count == deadLettered, "nothing else is dead-lettered")
            let expectedRows = valid.count + corpus.filter { $0.fate == .stored }.count
            #expect(rows.count == expectedRows)

            // The SIEM: every stored hostile event arrived as one well-formed message.
            let directory = try #require(EndToEnd.environment["COUNTERSIGN_TEST_SYSLOG_DIR"])
            let received = try String(contentsOfFile: "\(directory)/events.log", encoding: .utf8).split(separator: "\n")
            for item in corpus where item.fate == .stored {
                let lines = received.filter { $0.contains("externalId=\(item.eventID!) ") }
                #expect(!lines.isEmpty, "\(item.name) reached rsyslog")
                for line in lines {
                    let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                    #expect(fields.count == 4, "\(item.name): one message per line")
                    if fields.count == 4 {
                        #expect(fields[2].hasPrefix("[countersign@32473") && fields[2].hasSuffix("]"))
                        #expect(fields[3].contains("cs2Label=Tool"), "\(item.name): the CEF payload is whole")
                    }
                }
            }
            // Payloads never reach the log.
            for secret in ["DROP TABLE", "jndi", "😀", "yyyyyyyy"] { #expect(!run.log.contains(secret)) }
            print(
                "chaos poison pills: \(messages.count) messages (\(corpus.count) hostile), \(rows.count) rows, "
                    + "\(letters.count) dead letters, exit \(status)"
            )
        }

        @Test(
            "dead letters at the end of a partition are committed, and a SIGKILL does not send them again",
            .enabled(if: EndToEnd.enabled)
        )
        func deadLettersAfterKill() async throws {
            let broker = try broker()
            let topic = "chaos-dl-\(UInt32.random(in: 0...UInt32.max))"
            let state = FileManager.default.temporaryDirectory.appendingPathComponent("\(topic)-state")
            defer { try? FileManager.default.removeItem(at: state) }
            let valid = try generated(count: 200, seed: 4)
            try await Chaos.produce(
                valid.enumerated().map { ("valid-\($0.offset)", $0.element.bytes, 0) },
                topic: topic,
                broker: broker
            )
            let pipeline = try EndToEnd.pipeline(
                topic: topic,
                group: "\(topic)-group",
                source: "detectors:\n  state_directory: \(state.path)",
                sinks: "  - type: null"
            )
            defer { try? FileManager.default.removeItem(at: pipeline) }
            // A first run stores the valid events and saves a detection snapshot at their end.
            let first = try BackgroundRun(pipeline: pipeline, broker: broker, idleSeconds: 3)
            #expect(finish(first, within: 300).status == 0)
            // Five malformed messages after the snapshot: only dead letters.
            try await Chaos.produce(
                (0..<5).map { ("bad-\($0)", Array("not json \($0)".utf8), 0) },
                topic: topic,
                broker: broker
            )
            let second = try BackgroundRun(pipeline: pipeline, broker: broker, idleSeconds: nil)
            #expect(second.waitForAssignment())
            var letters: [Chaos.Letter] = []
            for _ in 0..<600 where letters.count < 5 {
                letters = try Chaos.letters("\(topic).dead-letter", broker: broker)
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(letters.count == 5)
            // Idle, the worker commits the dead letters within its commit interval (500 ms).
            try await Task.sleep(for: .seconds(3))
            kill(second.process.processIdentifier, SIGKILL)
            _ = second.finish()
            // Started again: the snapshot is older than the commit; nothing is dead-lettered twice.
            let third = try BackgroundRun(pipeline: pipeline, broker: broker, idleSeconds: 3)
            let (status, output, _) = finish(third, within: 300)
            #expect(status == 0)
            let after = try Chaos.letters("\(topic).dead-letter", broker: broker)
            #expect(after.count == 5, "dead letters sent again after a restart: \(after.count - 5)")
            #expect(output.contains("0 dead-lettered"))
        }

        @Test(
            "SIGKILL at random moments after consumption began: every event stored once, every malformed one dead-lettered",
            .enabled(if: EndToEnd.enabled)
        )
        func killLoop() async throws {
            let broker = try broker()
            let topic = "chaos-kill-\(UInt32.random(in: 0...UInt32.max))"
            let conninfo = try Chaos.database()
            let valid = try generated(count: Chaos.killEvents, seed: 8)
            var messages: [(key: String, value: [UInt8], partition: Int32)] = []
            var malformed: Set<String> = []
            for (index, event) in valid.enumerated() {
                messages.append(("valid-\(index)", event.bytes, Int32(index % 4)))
                if index % 997 == 0 {
                    malformed.insert("bad-\(index)")
                    messages.append(("bad-\(index)", Array("{\"broken\": \(index)".utf8), Int32(index % 4)))
                }
            }
            try await Chaos.produce([messages[0]], topic: topic, broker: broker)
            // Produced at a steady rate while workers are killed and restarted, as in life.
            let rest = Array(messages.dropFirst())
            let producing = Task { [rest] in
                try await Chaos.produce(rest, topic: topic, broker: broker, rate: Chaos.killRate)
            }
            let state = FileManager.default.temporaryDirectory.appendingPathComponent("\(topic)-state")
            defer { try? FileManager.default.removeItem(at: state) }
            let pipeline = try EndToEnd.pipeline(
                topic: topic,
                group: "\(topic)-group",
                source: "  batch_size: 500\ndetectors:\n  state_directory: \(state.path)",
                sinks: "  - type: postgres\n    conninfo: \(conninfo)\n    retention_days: 3650"
            )
            defer { try? FileManager.default.removeItem(at: pipeline) }
            var kills = 0
            var rows = 0
            while kills < Chaos.kills {
                let run = try BackgroundRun(pipeline: pipeline, broker: broker, idleSeconds: nil)
                #expect(run.waitForAssignment())
                // The random moment starts once this worker is storing: killing
                // before its partitions arrive tests nothing.
                var now = rows
                for _ in 0..<1_200 where now <= rows {
                    try await Task.sleep(for: .milliseconds(100))
                    now = Int(try Chaos.psql(conninfo, "SELECT count(*) FROM events") ?? "0") ?? 0
                }
                if now >= valid.count {
                    run.process.terminate()
                    _ = run.finish()
                    break  // everything stored before this kill could land
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...1_500)))
                kill(run.process.processIdentifier, SIGKILL)
                _ = run.finish()
                rows = now
                kills += 1
            }
            try await producing.value
            let last = try BackgroundRun(pipeline: pipeline, broker: broker, idleSeconds: 5)
            let (status, _, hung) = finish(last, within: 900)
            #expect(!hung && status == 0)
            let stored = try Chaos.stored(conninfo)
            #expect(stored.count == valid.count, "every event stored")
            #expect(stored.values.allSatisfy { $0 == 1 }, "no event stored twice")
            for event in valid { #expect(stored[event.id] == 1) }
            let letters = try Chaos.letters("\(topic).dead-letter", broker: broker)
            #expect(Set(letters.map(\.key)) == malformed, "every malformed message dead-lettered")
            print(
                "chaos kill loop: \(messages.count) messages, \(kills) SIGKILLs, \(stored.count) rows stored once, "
                    + "\(malformed.count) malformed -> \(letters.count) dead letters "
                    + "(\(letters.count - malformed.count) repeats from uncommitted tails)"
            )
        }

        @Test(
            "a sink that keeps failing: SIGTERM stops the worker within its bound, commits nothing unacknowledged, logs no secret",
            .enabled(if: EndToEnd.enabled),
            arguments: [
                "postgres-wrong-password", "postgres-refused-role", "postgres-unreachable", "siem-unreachable",
                "second-signal",
            ]
        )
        func failingSinkShutdown(kind: String) async throws {
            let broker = try broker()
            let topic = "chaos-stop-\(UInt32.random(in: 0...UInt32.max))"
            let secret = "chaos-secret-\(UInt32.random(in: 0...UInt32.max))"
            let valid = try generated(count: 300, seed: 6)
            try await Chaos.produce(
                valid.enumerated().map { ("valid-\($0.offset)", $0.element.bytes, Int32($0.offset % 4)) },
                topic: topic,
                broker: broker
            )
            let server = try #require(EndToEnd.environment["COUNTERSIGN_TEST_PG"])
            let sink =
                switch kind {
                case "postgres-refused-role", "second-signal":
                    "  - type: postgres\n    conninfo: \(server.replacingOccurrences(of: "user=postgres", with: "user=no_such_role password=\(secret)"))"
                case "postgres-wrong-password":
                    // The harness's role countersign_password must give its password (SCRAM).
                    "  - type: postgres\n    conninfo: \(server.replacingOccurrences(of: "user=postgres", with: "user=countersign_password password=\(secret)"))"
                case "postgres-unreachable":
                    "  - type: postgres\n    conninfo: host=127.0.0.1 port=1 user=postgres password=\(secret) connect_timeout=2"
                default:
                    "  - type: siem\n    host: 127.0.0.1\n    port: 1\n    transport: tcp\n    send: all"
                }
            // The documented default bound (source.shutdown_timeout_seconds).
            let bound = 20
            let pipeline = try EndToEnd.pipeline(topic: topic, group: "\(topic)-group", sinks: sink)
            defer { try? FileManager.default.removeItem(at: pipeline) }
            let run = try BackgroundRun(pipeline: pipeline, broker: broker, idleSeconds: nil)
            #expect(run.waitForAssignment())
            for _ in 0..<600 where !run.log.contains("pausing") { try await Task.sleep(for: .milliseconds(100)) }
            #expect(run.log.contains("pausing"), "the sink fails")
            let started = Date()
            run.process.terminate()
            if kind == "second-signal" {
                try await Task.sleep(for: .milliseconds(500))
                run.process.terminate()
            }
            let (status, output, hung) = finish(run, within: Double(bound) + 30)
            let seconds = Date().timeIntervalSince(started)
            #expect(!hung)
            // The bound is enforced by the worker itself; the slack only absorbs a loaded machine.
            #expect(seconds < Double(bound) + 15, "stopped after \(seconds) s with a bound of \(bound) s")
            #expect(status == (kind == "second-signal" ? 128 + SIGTERM : 0))
            #expect(run.log.contains("signal received; shutting down"))
            if kind == "postgres-wrong-password" {
                #expect(run.log.contains("password authentication failed"), "the server refused the password")
            }
            #expect(!run.log.contains(secret) && !output.contains(secret), "a secret reached the log")
            if kind != "second-signal" {
                #expect(run.log.contains("stays uncommitted"))
                // Nothing was acknowledged, so nothing was committed.
                #expect(output.contains("0 acknowledged by every sink, 0 dead-lettered, 0 commits"))
            }
            print(
                "chaos shutdown (\(kind)): stopped in \(String(format: "%.1f", seconds)) s, bound \(bound) s, exit \(status)"
            )
        }
    }
}
