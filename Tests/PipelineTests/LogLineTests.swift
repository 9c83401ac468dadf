import Foundation
import Logging
import Logs
import Testing

/// The two record layouts as values: one line per record, fields that a
/// machine splits back out.
@Suite("Log lines")
struct LogLineTests {
    let fields: Logger.Metadata = [
        "sink": "postgres", "error": "connection refused\nretrying", "quote": "say \"hi\"",
        "message": "clash", "nested": ["a": "1"],
    ]

    @Test("JSON: one object per line, fields beside the record's own, every string escaped")
    func json() throws {
        let line = LogLine.json(
            time: "2026-11-26T10:00:00.000Z",
            level: .warning,
            label: "countersign",
            message: "a sink did not acknowledge\n\u{1}",
            fields
        )
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["logger"] as? String == "countersign")
        #expect(object["message"] as? String == "a sink did not acknowledge\n\u{1}")
        #expect(object["error"] as? String == "connection refused\nretrying")
        #expect(object["quote"] as? String == "say \"hi\"")
        // A field named like one of the record's own does not overwrite it.
        #expect(object["field.message"] as? String == "clash")
        #expect((object["nested"] as? [String: String])?["a"] == "1")
    }

    @Test("text: time, level, label, message, then key=value with values quoted when they must be")
    func text() {
        let line = LogLine.text(
            time: "2026-11-26T10:00:00.000Z",
            level: .info,
            label: "countersign",
            message: "source\nstarted",
            ["topics": "mcp.audit", "reason": "no broker answers"]
        )
        #expect(
            line
                == "2026-11-26T10:00:00.000Z info countersign: source started reason=\"no broker answers\" topics=mcp.audit"
        )
    }
}
