import AuditEvent
import Testing

@Suite("Event model")
struct ModelTests {
    func sample() -> AuditEvent {
        AuditEvent(
            eventID: "e-1",
            kind: .toolCall,
            occurredAt: Timestamp(microsecondsSinceEpoch: 1_787_220_902_481_000),
            source: Source(gateway: "mcp-hangar"),
            actor: Actor(id: "alice"),
            target: Target(serverID: nil, method: "tools/call", tool: "run_query"),
            outcome: Outcome(status: .success, resultBytes: 10)
        )
    }

    @Test("JSON text follows the contract's member order and writes a null server for tool calls")
    func jsonText() {
        let text = String(decoding: sample().jsonBytes(), as: UTF8.self)
        #expect(
            text
                == #"{"schema":"mcp.audit/1","event_id":"e-1","event_kind":"tool_call","occurred_at":"2026-08-20T10:15:02.481Z","source":{"gateway":"mcp-hangar"},"actor":{"id":"alice"},"target":{"server_id":null,"method":"tools/call","tool":"run_query"},"outcome":{"status":"success","result_bytes":10}}"#
        )
    }

    @Test("strings are escaped per RFC 8259")
    func escaping() {
        var event = sample()
        event.actor.id = "a\"b\\c\nd\re\tf\u{1}g\u{7F}é"
        let text = String(decoding: event.jsonBytes(), as: UTF8.self)
        #expect(text.contains(#""id":"a\"b\\c\nd\re\tf\u0001g\#u{7F}é""#))
    }

    @Test("unknown fields are written back under their parent")
    func unknownFieldsWritten() {
        var event = sample()
        event.unknownFields = [
            UnknownField(path: ["actor", "department"], value: RawJSON(text: #""sales""#)),
            UnknownField(path: ["x"], value: RawJSON(text: "[1]")),
        ]
        let text = String(decoding: event.jsonBytes(), as: UTF8.self)
        #expect(text.contains(#""actor":{"id":"alice","department":"sales"}"#))
        #expect(text.hasSuffix(#","x":[1]}"#))
    }

    @Test("copies are independent (copy on write)")
    func copyOnWrite() {
        let original = sample()
        var copy = original
        copy.actor.id = "bob"
        copy.outcome.resultBytes = 99
        #expect(original.actor.id == "alice")
        #expect(original.outcome.resultBytes == 10)
        #expect(copy.actor.id == "bob")
        #expect(original != copy)
        var again = copy
        again.actor.id = "alice"
        again.outcome.resultBytes = 10
        #expect(again == original)
        #expect(again.hashValue == original.hashValue)
    }

    @Test("SHA-256 digests parse either case and print lower case")
    func digest() {
        let hex = "3b1f0c9e6a7d4b2f8e1c5a9d3f7b2e6c4a8d1f5b9e3c7a2d6f0b4e8c1a5d9f3b"
        #expect(SHA256Digest(hex: hex)?.hex == hex)
        #expect(SHA256Digest(hex: hex.uppercased())?.hex == hex)
        #expect(SHA256Digest(hex: String(hex.dropLast())) == nil)
        #expect(SHA256Digest(hex: String(hex.dropLast()) + "g") == nil)
        #expect(SHA256Digest(hex: String(repeating: "0", count: 63) + ":") == nil)
    }

    @Test("error descriptions name field and rule")
    func errorDescription() {
        let error = AuditEventError(.missingField, field: "actor.id", reason: "required by mcp.audit/1")
        #expect("\(error)" == "missing_field: field 'actor.id': required by mcp.audit/1")
        #expect("\(AuditEventError(.emptyMessage, reason: "no bytes"))" == "empty_message: no bytes")
    }

    @Test("event_id rule counts characters, not bytes, and refuses control characters")
    func eventIDRule() {
        func check(_ text: String) -> String? {
            var text = text
            return text.withUTF8 { Rules.checkEventID($0) }
        }
        #expect(check(String(repeating: "é", count: 40)) == nil)
        #expect(check(String(repeating: "é", count: 41)) != nil)
        #expect(check("") != nil)
        #expect(check("a\u{7F}") != nil)
    }
}
