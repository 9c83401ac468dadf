import Foundation
import TestSupport
import Testing

/// `countersign detect` and `score` as an analyst runs them: files in, files out.
extension EndToEndSuites {
    @Suite("countersign detect and score")
    struct DetectCommandTests {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "detect-\(UInt32.random(in: 0...UInt32.max))"
        )

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        func contents(_ name: String) throws -> Data { try Data(contentsOf: directory.appendingPathComponent(name)) }

        @Test("one go, or two halves with a snapshot between: identical alert files; every incident kind is alerted")
        func halves() throws {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let (generated, _) = try EndToEnd.countersign([
                "generate", "--count", "120000", "--seed", "9", "--spacing-ms", "900", "--incidents", "7",
                "--labels", path("labels.jsonl"), "-o", path("events.jsonl"),
            ])
            #expect(generated == 0)
            let lines = try String(contentsOfFile: path("events.jsonl"), encoding: .utf8).split(separator: "\n")
            let cut = lines.count / 2
            try (lines[..<cut].joined(separator: "\n") + "\n").write(
                toFile: path("first.jsonl"),
                atomically: true,
                encoding: .utf8
            )
            try (lines[cut...].joined(separator: "\n") + "\n").write(
                toFile: path("second.jsonl"),
                atomically: true,
                encoding: .utf8
            )

            let (whole, _) = try EndToEnd.countersign([
                "detect", "--input", path("events.jsonl"), "--output", path("all.jsonl"),
            ])
            let (first, _) = try EndToEnd.countersign([
                "detect", "--input", path("first.jsonl"), "--output", path("a1.jsonl"), "--snapshot-out", path("state"),
            ])
            let (second, _) = try EndToEnd.countersign([
                "detect", "--input", path("second.jsonl"), "--output", path("a2.jsonl"), "--snapshot-in", path("state"),
            ])
            #expect([whole, first, second] == [0, 0, 0])
            let all = try contents("all.jsonl")
            #expect(!all.isEmpty)
            #expect(try contents("a1.jsonl") + contents("a2.jsonl") == all)

            // Every planted kind shows up among the alerts' detectors.
            let text = String(decoding: all, as: UTF8.self)
            for detector in ["spike", "exfiltration", "breadth", "read_then_send", "probing", "first_seen"] {
                #expect(text.contains("\"detector\":\"\(detector)\""), "no \(detector) alert")
            }
        }

        @Test("detect --format otlp: a request per line, its records judged; a bad record is counted and skipped")
        func otlpLines() throws {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            func record(_ nanos: Int, _ attributes: [(String, String)]) -> String {
                let pairs = attributes.map { #"{"key":"\#($0.0)","value":{"stringValue":"\#($0.1)"}}"# }
                return #"{"timeUnixNano":"\#(nanos)","attributes":[\#(pairs.joined(separator: ","))]}"#
            }
            let call = [("mcp.method.name", "tools/call"), ("gen_ai.tool.name", "run_query"), ("user.id", "carol")]
            var lines: [String] = []
            for batch in 0..<10 {
                var records = (0..<5).map { record(1_795_648_140_000_000_000 + (batch * 5 + $0) * 1_000_000_000, call) }
                if batch == 3 { records.append(record(1_795_648_200_000_000_000, [("mcp.method.name", "tools/call")])) }
                lines.append(
                    #"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"acme-gw"}}]},"scopeLogs":[{"logRecords":["#
                        + records.joined(separator: ",") + "]}]}]}"
                )
            }
            try (lines.joined(separator: "\n") + "\n").write(
                toFile: path("otlp.jsonl"),
                atomically: true,
                encoding: .utf8
            )
            let (status, output) = try Subprocess.run(
                EndToEnd.binary.path,
                ["detect", "--input", path("otlp.jsonl"), "--format", "otlp", "--output", path("alerts.jsonl")],
                errors: true
            )
            #expect(status == 0, "\(output)")
            #expect(output.contains("detect: 50 events, 1 invalid lines or records"), "\(output)")
            #expect(output.contains("line 4, record 5: missing_field: field 'target.tool'"), "\(output)")
        }

        @Test("score: one score per row in [0, 1], the outlier highest")
        func score() throws {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            var csv = "timestamp,value\n"
            for minute in 0..<50 { csv += "2026-08-20T10:\(String(format: "%02d", minute)):00Z,\(100 + minute % 5)\n" }
            csv += "2026-08-20T10:50:00Z,900\n"
            try csv.write(toFile: path("series.csv"), atomically: true, encoding: .utf8)
            let (status, output) = try EndToEnd.countersign(["score", "--csv", path("series.csv")])
            #expect(status == 0)
            let rows = output.split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
            #expect(rows.count == 51)
            let scores = rows.compactMap { Double($0[2]) }
            #expect(scores.count == 51)
            #expect(scores.allSatisfy { (0...1).contains($0) })
            #expect(scores.last == scores.max())
        }
    }
}
