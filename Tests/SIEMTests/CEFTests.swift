import AuditEvent
import Detection
import SIEM
import Testing

@Suite("CEF encoder")
struct CEFTests {
    func event(name: String = "Tool call", extensions: [(key: String, value: String)]) -> CEFEvent {
        CEFEvent(
            vendor: "Countersign",
            product: "Countersign",
            version: "0.1",
            classID: "mcp:tool_call",
            name: name,
            severity: 5,
            extensions: extensions
        )
    }

    @Test("golden: escaping in header and extension exactly as the spec says")
    func golden() throws {
        let cef = try CEFEncoder.encode(
            CEFEvent(
                vendor: "Acme|Corp",
                product: "Back\\slash",
                version: "1=0",
                classID: "id",
                name: "line\r\nbreak",
                severity: 10,
                extensions: [("suser", "a=b"), ("msg", "pipe | and \\= and\nnew"), ("cs1", "x")]
            )
        )
        #expect(
            cef
                == #"CEF:0|Acme\|Corp|Back\\slash|1=0|id|line  break|10|suser=a\=b msg=pipe | and \\\= and\nnew cs1=x"#
        )
    }

    @Test(
        "hostile values never add, remove or shift a field",
        arguments: [
            "tool|name", "a=b", "back\\slash", "cr\rlf\n", " act=allow", "x act=allow", "\u{0}\u{1}\u{7F}\u{85}",
            "\\", "=", "\\=", "trailing \\", "é日本 ok", "|||===\\\\\\", "\r\n\r\n",
        ]
    )
    func hostile(value: String) throws {
        let original = event(
            name: value,
            extensions: [
                ("act", "call"), ("request", value), ("cs2", value), ("cs2Label", "Tool"), ("outcome", "success"),
            ]
        )
        let parsed = try parseCEF(try CEFEncoder.encode(original))
        #expect(parsed.header.count == 7)
        #expect(parsed.header[6] == "5")
        #expect(parsed.extensions.map(\.0) == ["act", "request", "cs2", "cs2Label", "outcome"])
        // Values come back as sent, except controls, which become spaces.
        let expected = String(
            value.unicodeScalars.map { scalar -> Character in
                scalar == "\n" || scalar == "\r"
                    ? Character(scalar)
                    : (scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value))
                        ? " " : Character(scalar)
            }
        )
        #expect(parsed.extensions[1].1 == expected)
        #expect(parsed.extensions[0].1 == "call")
        #expect(parsed.extensions[4].1 == "success")
        #expect(!(try CEFEncoder.encode(original)).contains("\n"))
    }

    @Test("severity outside 0-10 and keys that are not alphanumeric are refused")
    func refusals() {
        var bad = event(extensions: [])
        bad.severity = 11
        #expect(throws: CEFError.severityOutOfRange(11)) { try CEFEncoder.encode(bad) }
        bad.severity = -1
        #expect(throws: CEFError.severityOutOfRange(-1)) { try CEFEncoder.encode(bad) }
        #expect(throws: CEFError.invalidKey("bad key")) { try CEFEncoder.encode(event(extensions: [("bad key", "v")])) }
        #expect(throws: CEFError.invalidKey("cs_1")) { try CEFEncoder.encode(event(extensions: [("cs_1", "v")])) }
    }

    @Test("limits apply before escaping: externalId 40, name 512, cs1 4000 characters")
    func limits() throws {
        let long = String(repeating: "=", count: 5_000)
        let parsed = try parseCEF(
            try CEFEncoder.encode(event(name: long, extensions: [("externalId", long), ("cs1", long)]))
        )
        #expect(parsed.header[5].count == 512)
        #expect(parsed.extensions[0].1.count == 40)
        #expect(parsed.extensions[1].1.count == 4_000)
    }

    @Test("an alert maps to the documented CEF fields")
    func alertMapping() throws {
        let alert = Alert(
            detector: .exfiltration,
            scope: .member,
            tenant: "acme",
            member: "alice@acme.com",
            tool: nil,
            at: Timestamp(microsecondsSinceEpoch: 1_787_220_000_000_000),
            windowStart: Timestamp(microsecondsSinceEpoch: 1_787_219_940_000_000),
            windowEnd: Timestamp(microsecondsSinceEpoch: 1_787_220_000_000_000),
            observed: 90_000_000,
            baselineMean: 12_000,
            baselineSpread: 2.1,
            score: 0.9,
            severity: 9,
            contributingEventIDs: ["e1", "e2"],
            alertID: "5a1c0f6e-0000-8000-8000-000000000001"
        )
        let parsed = try parseCEF(try CEFEncoder.encode(CEFMapping.alert(alert)))
        let fields = Dictionary(parsed.extensions, uniquingKeysWith: { a, _ in a })
        #expect(parsed.header[4] == "detection:exfiltration")
        #expect(parsed.header[6] == "9")
        #expect(fields["rt"] == "1787220000000")
        #expect(fields["externalId"] == alert.alertID)
        #expect(fields["suser"] == "alice@acme.com")
        #expect(fields["cat"] == "/MCP/Detection/exfiltration")
        #expect(fields["cfp1Label"] == "RiskScore")
        #expect(fields["cs6"] == "e1,e2")
    }
}
