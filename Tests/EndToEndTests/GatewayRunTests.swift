import Foundation
import TestSupport
import Testing

/// Real gateway output through the worker, with nothing hand-written in the
/// chain: MCP Hangar 2.34.4 from PyPI in front of a stub MCP server, its OTLP
/// audit exporter pointed at rotel (an OpenTelemetry collector from PyPI)
/// whose Kafka exporter writes to the dev-broker, and Hangar's JSON-lines
/// export produced line by line (scripts/gateways/hangar-otlp.sh). Then
/// `countersign run` with `source.format: otlp` into PostgreSQL.
extension EndToEndSuites {
    @Suite("real gateways through run", .serialized)
    struct GatewayRunTests {
        static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()

        /// Runs the gateway chain; its summary line.
        func hangar(
            broker: String,
            otlpTopic: String,
            jsonlTopic: String,
            encoding: String,
            calls: Int
        ) throws
            -> String
        {
            let script = Self.root.appendingPathComponent("scripts/gateways/hangar-otlp.sh").path
            let (status, output) = try Subprocess.run(
                "/bin/bash",
                [
                    script, "--brokers", broker, "--otlp-topic", otlpTopic, "--jsonl-topic", jsonlTopic,
                    "--encoding", encoding, "--calls", "\(calls)",
                ],
                errors: true
            )
            #expect(status == 0, "hangar-otlp.sh failed: \(output.suffix(1_500))")
            return output
        }

        /// `tool|status|actor|tenant|server` per tool-call row of a topic, sorted.
        func calls(_ conninfo: String, topic: String) throws -> [String] {
            let sql = """
                SELECT tool || '|' || status || '|' || actor_id || '|' || coalesce(tenant_id, '-') || '|' \
                || coalesce(server_id, '-') FROM events WHERE kafka_topic = '\(topic)' AND event_kind = 'tool_call' \
                ORDER BY 1
                """
            return try Chaos.psql(conninfo, sql)?.split(separator: "\n").map(String.init) ?? []
        }

        @Test(
            "Hangar -> rotel -> Kafka -> run (otlp, protobuf and rotel's JSON) -> PostgreSQL: one row per recorded call, fields as sent; its JSON lines give the same calls once each",
            .enabled(if: EndToEnd.enabled)
        )
        func hangarThroughCollector() async throws {
            let broker = try #require(EndToEnd.bootstrap, "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`")
            let conninfo = try Chaos.database()
            let base = "gw-\(UInt32.random(in: 0...UInt32.max))"
            let (otlp, jsonl, otlpJSON) = ("\(base).otlp", "\(base).jsonl", "\(base).otlp-json")
            // Ten calls: two rounds of echo, read_file, fail, delete_everything
            // (denied) and no_such_tool (refused by Hangar's request
            // validation before its audit path: no record anywhere).
            let first = try hangar(broker: broker, otlpTopic: otlp, jsonlTopic: jsonl, encoding: "protobuf", calls: 10)
            #expect(first.contains("otlp_records=10") && first.contains("jsonl_lines=10"), "\(first)")
            let second = try hangar(
                broker: broker,
                otlpTopic: otlpJSON,
                jsonlTopic: "\(base).unused",
                encoding: "json",
                calls: 5
            )
            #expect(second.contains("otlp_records=6"), "\(second)")

            // Both groups read the three topics into the same database.
            func pipeline(group: String) throws -> URL {
                try EndToEnd.pipeline(
                    topic: "\(otlp), \(jsonl), \(otlpJSON)",
                    group: "\(base)-\(group)",
                    source: """
                          format: otlp
                          topic_formats: {\(jsonl): hangar-jsonl}
                        detectors:
                          enabled: false
                        """,
                    sinks: "  - type: postgres\n    conninfo: \(conninfo)"
                )
            }
            let reading = try pipeline(group: "a")
            defer { try? FileManager.default.removeItem(at: reading) }
            let run = try BackgroundRun(pipeline: reading, broker: broker, idleSeconds: 5)
            let (status, output) = run.finish()
            #expect(status == 0, "\(run.log.suffix(1_500))")
            #expect(output.contains(" 0 dead-lettered"), "\(output)")

            // Eight calls reached Hangar's audit path: 4 successes, 2 tool errors, 2 denials.
            let expected = [
                "delete_everything|denied|alice@acme.example|acme|stub",
                "delete_everything|denied|alice@acme.example|acme|stub",
                "echo|success|alice@acme.example|acme|stub", "echo|success|alice@acme.example|acme|stub",
                "fail|tool_error|alice@acme.example|acme|stub", "fail|tool_error|alice@acme.example|acme|stub",
                "read_file|success|alice@acme.example|acme|stub", "read_file|success|alice@acme.example|acme|stub",
            ]
            #expect(try calls(conninfo, topic: otlp) == expected)
            #expect(try calls(conninfo, topic: jsonl) == expected)
            #expect(
                try calls(conninfo, topic: otlpJSON)
                    == Array(expected.enumerated().filter { $0.offset % 2 == 0 }.map(\.element))
            )
            // Two server state changes per Hangar start, in both formats.
            let lifecycle = try Chaos.psql(
                conninfo,
                "SELECT count(*) FROM events WHERE event_kind = 'server_lifecycle' AND kafka_topic IN ('\(otlp)', '\(jsonl)')"
            )
            #expect(lifecycle == "4")
            // Fields as the gateway sent them: gateway, version, instance, roles, duration, trace.
            let detail = try Chaos.psql(
                conninfo,
                """
                SELECT gateway, raw::jsonb->'record'->'resource'->>'service.version', \
                raw::jsonb->'countersign_source'->>'format', (duration_ms > 0)::text, \
                length(raw::jsonb->'countersign_source'->>'message_sha256')::text \
                FROM events WHERE kafka_topic = '\(otlp)' AND tool = 'echo' LIMIT 1
                """
            )
            #expect(detail == "mcp-hangar|2.34.4|otlp|true|64")
            let policy = try Chaos.psql(
                conninfo,
                "SELECT DISTINCT policy_decision FROM events WHERE kafka_topic = '\(otlp)' AND status = 'denied'"
            )
            #expect(policy == "deny")

            // A second consumer group reads the same records again: the
            // name-based event ids add no row.
            let before = try Chaos.psql(conninfo, "SELECT count(*) FROM events")
            #expect(before == "26")
            let again = try pipeline(group: "b")
            defer { try? FileManager.default.removeItem(at: again) }
            let rerun = try BackgroundRun(pipeline: again, broker: broker, idleSeconds: 5)
            let (rerunStatus, _) = rerun.finish()
            #expect(rerunStatus == 0)
            #expect(try Chaos.psql(conninfo, "SELECT count(*) FROM events") == before)
        }

        @Test(
            "a batch with one bad record: the rest are stored, the bad one is dead-lettered alone with its place in the message",
            .enabled(if: EndToEnd.enabled)
        )
        func oneBadRecord() async throws {
            let broker = try #require(EndToEnd.bootstrap, "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`")
            let conninfo = try Chaos.database()
            let topic = "gw-bad-\(UInt32.random(in: 0...UInt32.max))"
            func record(_ nanos: String, _ attributes: [(String, String)]) -> String {
                let pairs = attributes.map { #"{"key":"\#($0.0)","value":{"stringValue":"\#($0.1)"}}"# }
                return #"{"timeUnixNano":"\#(nanos)","attributes":[\#(pairs.joined(separator: ","))]}"#
            }
            let call = [("mcp.method.name", "tools/call"), ("gen_ai.tool.name", "run_query"), ("user.id", "carol")]
            let noTool = [("mcp.method.name", "tools/call"), ("user.id", "carol")]
            let records = [
                record("1795648140000000001", call), record("1795648140000000002", noTool),
                record("1795648140000000003", call),
            ]
            let batch =
                #"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"acme-gw"}}]},"scopeLogs":[{"logRecords":["#
                + records.joined(separator: ",") + "]}]}]}"
            try await Chaos.produce([("k", Array(batch.utf8), 0)], topic: topic, broker: broker)
            let pipeline = try EndToEnd.pipeline(
                topic: topic,
                group: "\(topic)-a",
                source: "  format: otlp\ndetectors:\n  enabled: false",
                sinks: "  - type: postgres\n    conninfo: \(conninfo)"
            )
            defer { try? FileManager.default.removeItem(at: pipeline) }
            let run = try BackgroundRun(pipeline: pipeline, broker: broker, idleSeconds: 5)
            let (status, output) = run.finish()
            #expect(status == 0, "\(run.log.suffix(1_000))")
            #expect(output.contains("1 dead-lettered"), "\(output)")
            let stored = try Chaos.psql(
                conninfo,
                "SELECT string_agg(raw::jsonb->'countersign_source'->>'record_index', ',' ORDER BY occurred_at) FROM events"
            )
            #expect(stored == "0,2")
            let letters = try Chaos.letters("\(topic).dead-letter", broker: broker)
            #expect(letters.count == 1)
            let letter = try #require(letters.first)
            #expect(letter.headers["countersign.source.record"] == "1")
            #expect(letter.headers["countersign.error.code"] == "missing_field")
            #expect(letter.headers["countersign.error.field"] == "target.tool")
            #expect(letter.headers["countersign.source.offset"] == "0")
            // The value is the bad record alone, as canonical JSON.
            #expect(letter.value.contains("1795648140000000002") && !letter.value.contains("1795648140000000001"))
        }
    }
}
