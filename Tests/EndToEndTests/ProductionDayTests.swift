import Foundation
import TestSupport
import Testing

/// What a new operator meets on the first day: readiness that names what
/// is broken and answers at once, librdkafka's errors as our own JSON log
/// records, no secret in any log, start-up errors that name the cause, the
/// exit codes of `check`, the version, and the demo's own checks.
extension EndToEndSuites {
    @Suite("First day in production", .serialized)
    struct ProductionDayTests {
        /// A pipeline with JSON logs, /metrics on a free port, and `sinks`.
        static func pipeline(_ name: String, broker: String, kafka: String = "", sinks: String) throws -> URL {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("day-\(name).yaml")
            try """
            source:
              kafka:
                bootstrap.servers: \(broker)
                group.id: day-\(name)-\(UUID().uuidString.prefix(8))
            \(kafka)
              topics: [day.\(name)]
              dead_letter_topic: day.\(name).dead-letter
            metrics:
              listen: 127.0.0.1:0
            log:
              format: json
            sinks:
            \(sinks)
            """.write(to: file, atomically: true, encoding: .utf8)
            return file
        }

        /// Every standard-error line as a JSON object (a line that is not one fails the test).
        static func records(_ log: String) -> [[String: Any]] {
            log.split(separator: "\n").compactMap { line in
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object != nil, "not a JSON record: \(line.prefix(200))")
                return object
            }
        }

        /// The /metrics address from the worker's "metrics endpoint listening" record.
        static func endpoint(_ run: BackgroundRun) async throws -> String? {
            for _ in 0..<600 {
                for record in records(run.log) where record["message"] as? String == "metrics endpoint listening" {
                    if let url = record["url"] as? String { return String(url.dropLast("/metrics".count)) }
                }
                if !run.process.isRunning { return nil }
                try await Task.sleep(for: .milliseconds(100))
            }
            return nil
        }

        /// GET with curl: status, body, and curl's own measure of the time taken.
        static func get(_ url: String) throws -> (status: Int, body: String, seconds: Double) {
            let (_, output) = try Subprocess.run(
                "/usr/bin/curl",
                ["-s", "--max-time", "10", "-w", "\n%{http_code} %{time_total}", url]
            )
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
            let tail = lines.last.map { $0.split(separator: " ") } ?? []
            let body = lines.dropLast().joined(separator: "\n")
            return (Int(tail.first ?? "") ?? 0, body, Double(tail.last ?? "") ?? .infinity)
        }

        /// /readyz of a running worker, asked again every 100 ms (up to 30 s) while `waiting` holds for its body.
        static func readiness(
            of run: BackgroundRun,
            while waiting: (String) -> Bool
        ) async throws -> (status: Int, body: String, seconds: Double) {
            let base = try #require(try await Self.endpoint(run), "no metrics endpoint: \(run.log.suffix(800))")
            var answer = try Self.get(base + "/readyz")
            for _ in 0..<300 where waiting(answer.body) {
                try await Task.sleep(for: .milliseconds(100))
                answer = try Self.get(base + "/readyz")
            }
            return answer
        }

        @Test("/readyz is 503 at start while the SIEM is unreachable, and names it")
        func readinessNamesTheSIEM() async throws {
            try #require(EndToEnd.enabled, "needs the harness (scripts/harness.sh)")
            let broker = try #require(EndToEnd.bootstrap)
            // Port 1 on loopback: nothing listens, connections are refused.
            let file = try Self.pipeline(
                "siem-down",
                broker: broker,
                sinks: "  - type: null\n  - type: siem\n    host: 127.0.0.1\n    port: 1"
            )
            let run = try BackgroundRun(pipeline: file, broker: broker, idleSeconds: nil)
            defer { run.process.terminate() }
            let answer = try await Self.readiness(of: run, while: { $0.contains("not checked yet") })
            #expect(answer.status == 503)
            #expect(answer.body.contains("siem: cannot connect to 127.0.0.1:1 (tcp)"), "\(answer.body)")
            #expect(!answer.body.contains("null"), "a sink with nothing to reach is never named: \(answer.body)")
            run.process.terminate()
            let (status, _) = run.finish()
            #expect(status == 0)
        }

        @Test("/readyz is 503 while the detection state store is unreachable, and names it")
        func readinessNamesTheStateStore() async throws {
            try #require(EndToEnd.enabled, "needs the harness (scripts/harness.sh)")
            let broker = try #require(EndToEnd.bootstrap)
            let file = try Self.pipeline(
                "state-down",
                broker: broker,
                sinks: "  - type: null\ndetectors:\n  state_store: postgres\n"
                    + "  state_conninfo: \"host=127.0.0.1 port=1 dbname=none connect_timeout=2\""
            )
            let run = try BackgroundRun(pipeline: file, broker: broker, idleSeconds: nil)
            defer { run.process.terminate() }
            // Probed at start (perhaps before the store is opened), then again while failing.
            let answer = try await Self.readiness(
                of: run,
                while: {
                    !$0.contains("detection state: postgres detection_state")
                }
            )
            #expect(answer.status == 503)
            #expect(answer.body.contains("detection state: postgres detection_state"), "\(answer.body)")
            run.process.terminate()
            let (status, _) = run.finish()
            #expect(status == 0)
        }

        @Test(
            "with the broker down: /readyz answers at once, librdkafka's errors are JSON records, no secret is logged"
        )
        func brokerDown() async throws {
            let secret = "hunter2-\(UUID().uuidString.prefix(8))"
            // Nothing listens on port 1: every broker connection is refused.
            let file = try Self.pipeline(
                "broker-down",
                broker: "127.0.0.1:1",
                kafka: """
                        security.protocol: SASL_PLAINTEXT
                        sasl.mechanisms: PLAIN
                        sasl.username: worker
                        sasl.password: \(secret)
                    """,
                sinks: "  - type: postgres\n    conninfo: host=127.0.0.1 port=1 user=worker password=\(secret)"
            )
            let run = try BackgroundRun(pipeline: file, broker: "127.0.0.1:1", idleSeconds: nil)
            defer { run.process.terminate() }
            let base = try #require(try await Self.endpoint(run), "no metrics endpoint: \(run.log.suffix(800))")
            var times: [Double] = []
            var last = (status: 0, body: "", seconds: 0.0)
            for _ in 0..<20 {
                last = try Self.get(base + "/readyz")
                #expect(last.status == 503)
                times.append(last.seconds)
                try await Task.sleep(for: .milliseconds(300))
            }
            // Kubernetes gives a probe 1 s by default; a cached answer takes
            // milliseconds (the median is the figure, not the worst case).
            let median = times.sorted()[times.count / 2]
            #expect(median < 0.1, "median /readyz time \(median) s: \(times)")
            #expect(times.allSatisfy { $0 < 1 }, "\(times)")
            #expect(last.body.contains("kafka: "), "\(last.body)")
            #expect(last.body.contains("postgres: "), "\(last.body)")

            // librdkafka's connection errors arrive as our records, with its code.
            var fromLibrdkafka: [[String: Any]] = []
            for _ in 0..<300 {
                fromLibrdkafka = Self.records(run.log).filter { $0["logger"] as? String == "librdkafka" }
                if fromLibrdkafka.contains(where: { $0["code"] != nil }) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let codes = Set(fromLibrdkafka.compactMap { $0["code"] as? String })
            #expect(!codes.isDisjoint(with: ["_TRANSPORT", "_ALL_BROKERS_DOWN"]), "\(fromLibrdkafka.prefix(5))")
            #expect(fromLibrdkafka.allSatisfy { $0["level"] as? String != nil && $0["client"] as? String != nil })
            #expect(!run.log.contains("%3|"), "a raw librdkafka line reached standard error")

            run.process.terminate()
            let (status, output) = run.finish()
            #expect(status == 0)
            let everything = run.log + output
            #expect(!everything.contains(secret), "the password appeared in the output")
            _ = Self.records(run.log)  // every line, the shutdown's too, is JSON
        }

        @Test("start-up errors name the cause: a busy metrics address, a missing CA file; no usage text")
        func startupErrors() async throws {
            let file = try Self.pipeline("busy", broker: "127.0.0.1:1", sinks: "  - type: null")
            let first = try BackgroundRun(pipeline: file, broker: "127.0.0.1:1", idleSeconds: nil)
            defer { first.process.terminate() }
            let base = try #require(try await Self.endpoint(first))
            let address = String(base.dropFirst("http://".count))
            let text = try String(contentsOf: file, encoding: .utf8)
                .replacingOccurrences(of: "127.0.0.1:0", with: address)
            let second = FileManager.default.temporaryDirectory.appendingPathComponent("day-busy-2.yaml")
            try text.write(to: second, atomically: true, encoding: .utf8)
            let (status, said) = try Subprocess.run(
                EndToEnd.binary.path,
                ["run", "--pipeline", second.path, "--log-format", "text"],
                errors: true
            )
            #expect(status != 0)
            #expect(said.contains("cannot listen on \(address)"), "\(said.suffix(600))")
            #expect(said.contains("address already in use"), "\(said.suffix(600))")
            #expect(!said.contains("Usage:"))
            first.process.terminate()
            _ = first.finish()

            let missing = try String(contentsOf: file, encoding: .utf8)
                .replacingOccurrences(
                    of: "    bootstrap.servers:",
                    with: "    ssl.ca.location: /nonexistent/kafka-ca.pem\n    bootstrap.servers:"
                )
            let third = FileManager.default.temporaryDirectory.appendingPathComponent("day-missing-ca.yaml")
            try missing.write(to: third, atomically: true, encoding: .utf8)
            let (refused, reason) = try Subprocess.run(
                EndToEnd.binary.path,
                ["run", "--pipeline", third.path],
                errors: true
            )
            #expect(refused == 1)
            #expect(
                reason.contains("source.kafka.ssl.ca.location: cannot read '/nonexistent/kafka-ca.pem': no such file")
            )
            #expect(reason.contains("day-missing-ca.yaml:3:"), "the line is named: \(reason)")
            #expect(!reason.contains("Usage:"))
        }

        @Test("check: exit 0 for a valid file, 1 with every problem for a broken one, 64 for a wrong command line")
        func checkExitCodes() throws {
            let good = try Self.pipeline("check-good", broker: "127.0.0.1:9092", sinks: "  - type: null")
            let (ok, okText) = try Subprocess.run(EndToEnd.binary.path, ["check", good.path], errors: true)
            #expect(ok == 0, "\(okText)")
            let text = try String(contentsOf: good, encoding: .utf8)
                .replacingOccurrences(of: "  topics:", with: "  batch_sise: 1\n  topics:")
                .replacingOccurrences(of: "format: json", with: "format: jsn")
            let bad = FileManager.default.temporaryDirectory.appendingPathComponent("day-check-bad.yaml")
            try text.write(to: bad, atomically: true, encoding: .utf8)
            let (failed, said) = try Subprocess.run(EndToEnd.binary.path, ["check", bad.path], errors: true)
            #expect(failed == 1)
            let lines = said.split(separator: "\n")
            #expect(lines.count == 3, "\(said)")
            #expect(
                lines.first?.hasPrefix("\(bad.path):6: source.batch_sise: unknown key; did you mean 'batch_size'?")
                    == true
            )
            #expect(
                lines.dropFirst().first?.contains(":12: log.format: expected one of: text, json; did you mean 'json'?")
                    == true
            )
            #expect(lines.last == "\(bad.path): 2 problems")
            let (usage, _) = try Subprocess.run(EndToEnd.binary.path, ["check"], errors: true)
            #expect(usage == 64)
        }

        @Test("--version names the git commit the binary was built from")
        func version() throws {
            let (status, output) = try Subprocess.run(EndToEnd.binary.path, ["--version"])
            #expect(status == 0)
            #expect(output.contains("(commit "), "\(output)")
            #expect(!output.contains("commit unknown"), "built from a git checkout: \(output)")
        }

        @Test("the demo (smaller) passes its own checks: events stored, alerts, ledger, readiness, dead letters")
        func demo() throws {
            try #require(
                EndToEnd.environment["COUNTERSIGN_TEST_SYSLOG_TLS"] != nil || EndToEnd.environment["CI"] == "true",
                "needs the harness (scripts/harness.sh)"
            )
            let root = EndToEnd.binary.deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            let (status, output) = try Subprocess.run(
                root.appendingPathComponent("scripts/demo.sh").path,
                [EndToEnd.binary.path],
                environment: EndToEnd.environment.merging(["DEMO_EVENTS": "30000"]) { _, new in new },
                errors: true
            )
            #expect(status == 0, "\(output.suffix(1500))")
            #expect(output.contains("demo: all checks passed"), "\(output.suffix(1500))")
        }
    }
}
