import AuditDecoder
import AuditEvent
import Foundation
import Testing

@testable import SIEM

/// Whoever names a tenant, a member or a tool controls strings that reach
/// the SIEM. Whatever they send, every message stays within its size, its
/// structured data is closed, and its CEF payload parses (by the test's own
/// parser) with the fields a SOC keys on intact.
@Suite("SIEM caps on hostile fields")
struct HostileFieldTests {
    /// An event whose every string field is as long as the decoder allows.
    func hostileEvent(tenant: String, fill: String) throws -> AuditEvent {
        let json: [String: Any] = [
            "schema": "mcp.audit/1",
            "event_id": "7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44",
            "event_kind": "tool_call",
            "occurred_at": "2026-08-20T10:15:02.481Z",
            "source": ["gateway": fill],
            "tenant_id": tenant,
            "actor": ["id": fill, "agent_id": fill],
            "session": ["id": fill],
            "target": ["server_id": fill, "method": "tools/call", "tool": fill],
            "outcome": ["status": "tool_error", "error_type": fill],
        ]
        let data = try JSONSerialization.data(withJSONObject: json)
        return try AuditEventDecoder().decode([UInt8](data))
    }

    /// Splits an RFC 5424 message: the structured data and the CEF text.
    func parts(_ message: [UInt8]) throws -> (structured: String, cef: String) {
        let text = String(decoding: message, as: UTF8.self)
        // PRI VERSION TIMESTAMP HOST APP PROCID MSGID SD MSG: six spaces before SD.
        var index = text.startIndex
        for _ in 0..<6 { index = text[text.index(after: index)...].firstIndex(of: " ")! }
        let rest = text[text.index(after: index)...]
        let bom = try #require(rest.range(of: "\u{FEFF}"))
        return (String(rest[..<bom.lowerBound].dropLast()), String(rest[bom.upperBound...]))
    }

    @Test(
        "a 100,000-character tenant and every field at its longest: within 8192 bytes, SD closed, CEF intact",
        arguments: ["t", "\\", "]", "\"", "=", "|", "\n", "é", "😀", "\u{202E}"]
    )
    func hostileTenant(unit: String) throws {
        let event = try hostileEvent(
            tenant: String(repeating: unit, count: 100_000),
            fill: String(repeating: unit, count: 2_000)
        )
        let settings = SIEMSettings(endpoint: SyslogEndpoint(host: "127.0.0.1", port: 514, transport: .tcp))
        let encoded = try SIEMMessages(settings: settings).encode([.event(event)][...])
        let message = try #require(encoded.messages.first)
        #expect(message.count <= 8_192)
        #expect(!message.contains(0x0A), "a raw LF would split the message under line framing")
        let (structured, cef) = try parts(message)
        #expect(structured.hasPrefix("[countersign@32473 tenant=\""))
        #expect(structured.hasSuffix("\"]"))
        let parsed = try parseCEF(cef)
        let fields = Dictionary(parsed.extensions, uniquingKeysWith: { first, _ in first })
        #expect(fields["externalId"] == event.eventID)
        #expect(fields["rt"] == String(event.occurredAt.millisecondsSinceEpoch))
        #expect(fields["outcome"] == "failure")
        #expect(fields["cat"] == "/MCP/tool_call")
        // Every field the mapping gives survives, values cut but present.
        for key in ["suser", "request", "reason", "cs1", "cs2", "cs3", "cs4", "cs5"] {
            #expect(fields[key] != nil, "\(key) lost")
        }
        #expect(fields["cs2Label"] == "Tool")
        #expect(fields["cs4Label"] == "Tenant")
    }

    @Test("a UDP limit of 2048 and the smallest allowed (480) keep the payload parseable")
    func smallLimits() throws {
        let event = try hostileEvent(
            tenant: String(repeating: "\\", count: 5_000),
            fill: String(repeating: "=", count: 3_000)
        )
        for limit in [2_048, 480] {
            let settings = SIEMSettings(
                endpoint: SyslogEndpoint(host: "127.0.0.1", port: 514, transport: .udp),
                maxMessageBytes: limit
            )
            let message = try #require(try SIEMMessages(settings: settings).encode([.event(event)][...]).messages.first)
            #expect(message.count <= limit)
            let (structured, cef) = try parts(message)
            #expect(structured == "-" || structured.hasSuffix("\"]"))
            let fields = Dictionary(try parseCEF(cef).extensions, uniquingKeysWith: { first, _ in first })
            #expect(fields["externalId"] == event.eventID)
        }
    }

    @Test("a cut never ends inside an escape or a UTF-8 sequence")
    func escapeBoundaries() throws {
        for unit in ["\\", "=", "\n", "é", "😀", "a\\"] {
            var encoded: [UInt8] = []
            CEFEncoder.extensionValue(String(repeating: unit, count: 600), limit: 4_000, into: &encoded)
            for limit in 0...200 {
                let cut = CEFEncoder.safePrefixLength(encoded, atMost: limit)
                #expect(cut <= limit)
                let prefix = Array(encoded[..<cut])
                #expect(String(validating: prefix, as: UTF8.self) != nil)
                // An even run of trailing backslashes: no escape was split.
                let trailing = prefix.reversed().prefix { $0 == 0x5C }.count
                #expect(trailing % 2 == 0)
                #expect(cut >= limit - 4, "cut far more than needed")
            }
        }
    }

    @Test("structured-data values are capped before escaping and have no control characters")
    func structuredValues() {
        let value = SyslogFormat.paramValue(String(repeating: "]\n", count: 1_000))
        #expect(value.unicodeScalars.count == SyslogFormat.paramValueLimit + SyslogFormat.paramValueLimit / 2)
        #expect(!value.contains("\n"))
    }
}
