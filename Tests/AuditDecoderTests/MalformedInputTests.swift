import AuditDecoder
import AuditEvent
import Testing
import TrafficGenerator

/// One bad message and the error it must produce.
struct BadInput: CustomTestStringConvertible, Sendable {
    var name: String
    var bytes: [UInt8]
    var code: AuditEventError.Code
    var field: String?

    var testDescription: String { name }

    init(_ name: String, _ bytes: [UInt8], _ code: AuditEventError.Code, field: String? = nil) {
        self.name = name
        self.bytes = bytes
        self.code = code
        self.field = field
    }

    init(_ name: String, _ text: String, _ code: AuditEventError.Code, field: String? = nil) {
        self.init(name, Array(text.utf8), code, field: field)
    }
}

/// The contract's first sample, minified: each bad input is a small edit of it.
let base =
    #"{"schema":"mcp.audit/1","event_id":"7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44","event_kind":"tool_call","phase":"final","occurred_at":"2026-08-20T10:15:02.481Z","duration_ms":142.7,"source":{"gateway":"mcp-hangar","version":"2.13.0"},"tenant_id":"acme","actor":{"id":"alice@acme.com","type":"user"},"target":{"server_id":"github","method":"tools/call","tool":"create_issue"},"request":{"args_sha256":"3b1f0c9e6a7d4b2f8e1c5a9d3f7b2e6c4a8d1f5b9e3c7a2d6f0b4e8c1a5d9f3b","arg_keys":["repo"],"args_bytes":412},"outcome":{"status":"success","result_bytes":2311}}"#

func edit(_ old: String, _ new: String) -> String {
    precondition(base.contains(old), "the base event has no \(old)")
    return base.replacingOccurrences(of: old, with: new)
}

func withTimestamp(_ text: String) -> String {
    edit(#""occurred_at":"2026-08-20T10:15:02.481Z""#, #""occurred_at":"\#(text)""#)
}

let malformedCorpus: [BadInput] = {
    var cases: [BadInput] = [
        // Empty and truncated.
        BadInput("empty message", [UInt8](), .emptyMessage),
        BadInput("whitespace only", "  \n ", .invalidJSON),
        BadInput("truncated mid-string", String(base.prefix(60)), .truncated),
        BadInput("truncated before the last brace", String(base.dropLast()), .truncated),
        BadInput("trailing garbage", base + "x", .invalidJSON),
        BadInput("two documents", base + " {}", .invalidJSON),
        BadInput("not JSON at all", "event_id=42", .invalidJSON),
        // Not an object.
        BadInput("array root", "[1,2]", .notAnObject),
        BadInput("string root", #""mcp.audit/1""#, .notAnObject),
        BadInput("null root", "null", .notAnObject),
        // Schema.
        BadInput("another schema", edit(#""mcp.audit/1""#, #""mcp.audit/2""#), .unsupportedSchema, field: "schema"),
        BadInput("schema as number", edit(#""mcp.audit/1""#, "1"), .wrongType, field: "schema"),
        // Wrong types.
        BadInput(
            "event_id as number",
            edit(#""7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44""#, "42"),
            .wrongType,
            field: "event_id"
        ),
        BadInput(
            "actor as string",
            edit(#"{"id":"alice@acme.com","type":"user"}"#, #""alice""#),
            .wrongType,
            field: "actor"
        ),
        BadInput(
            "result_bytes as string",
            edit(#""result_bytes":2311"#, #""result_bytes":"2311""#),
            .wrongType,
            field: "outcome.result_bytes"
        ),
        BadInput(
            "result_bytes as fraction",
            edit(#""result_bytes":2311"#, #""result_bytes":2311.5"#),
            .wrongType,
            field: "outcome.result_bytes"
        ),
        BadInput("arg_keys as string", edit(#"["repo"]"#, #""repo""#), .wrongType, field: "request.arg_keys"),
        BadInput(
            "arg_keys holding a number",
            edit(#"["repo"]"#, #"["repo",7]"#),
            .wrongType,
            field: "request.arg_keys"
        ),
        BadInput("duration as string", edit("142.7", #""fast""#), .wrongType, field: "duration_ms"),
        BadInput("tenant as object", edit(#""acme""#, "{}"), .wrongType, field: "tenant_id"),
        BadInput(
            "outcome as array",
            edit(#"{"status":"success","result_bytes":2311}"#, "[]"),
            .wrongType,
            field: "outcome"
        ),
        BadInput(
            "occurred_at as number",
            withTimestamp("x").replacingOccurrences(of: #""x""#, with: "1724148902"),
            .wrongType,
            field: "occurred_at"
        ),
        // Missing required fields.
        BadInput("no schema", edit(#""schema":"mcp.audit/1","#, ""), .missingField, field: "schema"),
        BadInput(
            "no event_id",
            edit(#""event_id":"7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44","#, ""),
            .missingField,
            field: "event_id"
        ),
        BadInput(
            "null event_id",
            edit(#""7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44""#, "null"),
            .missingField,
            field: "event_id"
        ),
        BadInput("no event_kind", edit(#""event_kind":"tool_call","#, ""), .missingField, field: "event_kind"),
        BadInput(
            "no occurred_at",
            edit(#""occurred_at":"2026-08-20T10:15:02.481Z","#, ""),
            .missingField,
            field: "occurred_at"
        ),
        BadInput(
            "no source",
            edit(#""source":{"gateway":"mcp-hangar","version":"2.13.0"},"#, ""),
            .missingField,
            field: "source"
        ),
        BadInput("no gateway", edit(#""gateway":"mcp-hangar","#, ""), .missingField, field: "source.gateway"),
        BadInput(
            "no actor",
            edit(#""actor":{"id":"alice@acme.com","type":"user"},"#, ""),
            .missingField,
            field: "actor"
        ),
        BadInput("no actor.id", edit(#""id":"alice@acme.com","#, ""), .missingField, field: "actor.id"),
        BadInput("empty actor.id", edit(#""id":"alice@acme.com""#, #""id":"""#), .invalidValue, field: "actor.id"),
        BadInput(
            "no outcome",
            edit(#","outcome":{"status":"success","result_bytes":2311}"#, ""),
            .missingField,
            field: "outcome"
        ),
        BadInput("no outcome.status", edit(#""status":"success","#, ""), .missingField, field: "outcome.status"),
        BadInput("tool call without tool", edit(#","tool":"create_issue""#, ""), .missingField, field: "target.tool"),
        BadInput(
            "tool call without server_id",
            edit(#""server_id":"github","#, ""),
            .missingField,
            field: "target.server_id"
        ),
        BadInput(
            "tool call without method",
            edit(#""method":"tools/call","#, ""),
            .missingField,
            field: "target.method"
        ),
        BadInput(
            "tool call without target",
            edit(#""target":{"server_id":"github","method":"tools/call","tool":"create_issue"},"#, ""),
            .missingField,
            field: "target.method"
        ),
        BadInput(
            "detection without detection object",
            edit(#""tool_call""#, #""detection""#),
            .missingField,
            field: "detection"
        ),
        // Values that break a rule.
        BadInput(
            "event_id of 41 characters",
            edit("7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44", String(repeating: "a", count: 41)),
            .invalidValue,
            field: "event_id"
        ),
        BadInput("empty event_id", edit("7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44", ""), .invalidValue, field: "event_id"),
        BadInput(
            "event_id with an escaped NUL",
            edit("7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44", #"id\u0000x"#),
            .invalidValue,
            field: "event_id"
        ),
        BadInput(
            "event_id with a newline",
            edit("7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44", #"id\nx"#),
            .invalidValue,
            field: "event_id"
        ),
        BadInput("unknown event kind", edit(#""tool_call""#, #""tool_calls""#), .invalidValue, field: "event_kind"),
        BadInput("unknown status", edit(#""success""#, #""ok""#), .invalidValue, field: "outcome.status"),
        BadInput("unknown actor type", edit(#""type":"user""#, #""type":"robot""#), .invalidValue, field: "actor.type"),
        BadInput("unknown phase", edit(#""final""#, #""done""#), .invalidValue, field: "phase"),
        BadInput(
            "short args hash",
            edit("3b1f0c9e6a7d4b2f8e1c5a9d3f7b2e6c4a8d1f5b9e3c7a2d6f0b4e8c1a5d9f3b", "3b1f"),
            .invalidValue,
            field: "request.args_sha256"
        ),
        BadInput(
            "non-hex args hash",
            edit("3b1f0c9e6a7d4b2f8e1c5a9d3f7b2e6c4a8d1f5b9e3c7a2d6f0b4e8c1a5d9f3b", String(repeating: "g", count: 64)),
            .invalidValue,
            field: "request.args_sha256"
        ),
        BadInput(
            "error message over 1023 characters",
            edit(
                #""result_bytes":2311"#,
                #""result_bytes":2311,"error_message":"\#(String(repeating: "e", count: 1024))""#
            ),
            .invalidValue,
            field: "outcome.error_message"
        ),
        // Numbers out of range.
        BadInput("result_bytes 1e400", edit("2311}", "1e400}"), .numberOutOfRange),
        BadInput(
            "result_bytes 2^63",
            edit("2311}", "9223372036854775808}"),
            .numberOutOfRange,
            field: "outcome.result_bytes"
        ),
        BadInput("result_bytes 2^64", edit("2311}", "18446744073709551616}"), .numberOutOfRange),
        BadInput("negative result_bytes", edit("2311}", "-1}"), .numberOutOfRange, field: "outcome.result_bytes"),
        BadInput("negative duration", edit("142.7", "-5"), .numberOutOfRange, field: "duration_ms"),
        BadInput(
            "http status 700",
            edit(#""result_bytes":2311"#, #""http_status":700"#),
            .numberOutOfRange,
            field: "outcome.http_status"
        ),
        BadInput("malformed number", edit("142.7", "1.2.3"), .numberOutOfRange),
        BadInput("leading zeros", edit("142.7", "0142"), .numberOutOfRange),
        // Bad bytes.
        BadInput("raw NUL inside a string", Array(edit("alice@acme.com", "alice\u{0}acme").utf8), .nulByte),
        BadInput("raw NUL after the document", Array(base.utf8) + [0], .nulByte),
        BadInput("raw newline inside a string", edit("alice@acme.com", "alice\nacme"), .controlCharacter),
        BadInput("invalid UTF-8 byte", Array(base.utf8).map { $0 == UInt8(ascii: "@") ? 0xFF : $0 }, .invalidUTF8),
        BadInput(
            "overlong UTF-8",
            Array(base.utf8).flatMap { $0 == UInt8(ascii: "@") ? [0xC0, 0x80] : [$0] },
            .invalidUTF8
        ),
        BadInput(
            "truncated UTF-8 sequence",
            Array(base.utf8).flatMap { $0 == UInt8(ascii: "@") ? [0xE2, 0x82] : [$0] },
            .invalidUTF8
        ),
        // Structure.
        BadInput(
            "duplicate event_id",
            edit(#""event_kind""#, #""event_id":"other","event_kind""#),
            .duplicateKey,
            field: "event_id"
        ),
        BadInput(
            "duplicate actor.id",
            edit(#""type":"user""#, #""type":"user","id":"mallory""#),
            .duplicateKey,
            field: "actor.id"
        ),
        BadInput(
            "duplicate inside an unknown object",
            edit(#""tenant_id""#, #""x":{"a":1,"a":2},"tenant_id""#),
            .duplicateKey,
            field: "?.?"
        ),
        BadInput(
            "repeated unknown member at the root",
            edit(#""tenant_id""#, #""x_vendor":1,"x_vendor":2,"tenant_id""#),
            .duplicateKey,
            field: "?"
        ),
        BadInput(
            "duplicate inside request.args",
            edit(#""args_bytes":412"#, #""args_bytes":412,"args":{"sql":"a","sql":"b"}"#),
            .duplicateKey,
            field: "request.args.?"
        ),
        BadInput(
            "duplicate in a 40-member object",
            edit(
                #""tenant_id""#,
                #""x":{\#((0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")),"k7":0},"tenant_id""#
            ),
            .duplicateKey,
            field: "?.?"
        ),
        BadInput(
            "duplicate policy.reason",
            edit(#""tenant_id""#, #""policy":{"reason":"a","reason":"b"},"tenant_id""#),
            .duplicateKey,
            field: "policy.reason"
        ),
        BadInput(
            "10,000-deep arrays",
            edit(
                #""tenant_id""#,
                #""x":\#(String(repeating: "[", count: 10_000))\#(String(repeating: "]", count: 10_000)),"tenant_id""#
            ),
            .tooDeep
        ),
        BadInput(
            "10,000-deep objects",
            edit(
                #""tenant_id""#,
                #""x":\#(String(repeating: #"{"a":"#, count: 10_000))1\#(String(repeating: "}", count: 10_000)),"tenant_id""#
            ),
            .tooDeep
        ),
        BadInput(
            "a 2 MiB message",
            edit(#""tenant_id""#, #""padding":"\#(String(repeating: "p", count: 2 << 20))","tenant_id""#),
            .messageTooLarge
        ),
    ]
    let timestamps = [
        "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-08-20T24:00:00Z",
        "2026-08-20T10:60:00Z", "2026-08-20T10:15:61Z", "2026-08-20T10:15:02", "2026-08-20 10:15:02Z",
        "20260820T101502Z", "2026-08-20T10:15:02.Z", "2026-08-20T10:15:02.1234567890Z", "",
        "2026-08-20T10:15:02+25:00", "2026-08-20T10:15:02+0200", "2026-8-20T10:15:02Z", "yesterday",
        "2026-08-20T10:15:02Zjunk",
    ]
    for text in timestamps {
        cases.append(BadInput("timestamp '\(text)'", withTimestamp(text), .invalidValue, field: "occurred_at"))
    }
    // Valid date-times no sink can store (PostgreSQL's day partitions refuse
    // year 0 and years past 9999) or that no audit record carries.
    let outOfRange = [
        "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z",
        "2100-01-01T00:00:00Z", "2099-12-31T23:30:00-01:00", "1970-01-01T00:30:00+01:00",
    ]
    for text in outOfRange {
        cases.append(
            BadInput(
                "timestamp '\(text)' out of range",
                withTimestamp(text),
                .timestampOutOfRange,
                field: "occurred_at"
            )
        )
    }
    return cases
}()

@Suite("Malformed input")
struct MalformedInputTests {
    @Test("the base message of the corpus is valid")
    func baseIsValid() throws {
        _ = try AuditEventDecoder().decode(Array(base.utf8))
    }

    @Test("each bad input yields its typed error", arguments: malformedCorpus)
    func typedError(input: BadInput) throws {
        let decoder = try AuditEventDecoder()
        let error = #expect(throws: AuditEventError.self) { try decoder.decode(input.bytes) }
        #expect(error?.code == input.code)
        if let field = input.field {
            #expect(error?.field == field)
        }
        #expect(error?.reason.isEmpty == false)
    }

    @Test("an escaped NUL in free text decodes; storage decides what to do with it")
    func escapedNulInMessage() throws {
        let text = edit(#""result_bytes":2311"#, #""error_message":"bad\u0000byte""#)
        let event = try AuditEventDecoder().decode(Array(text.utf8))
        #expect(event.outcome.errorMessage == "bad\u{0}byte")
    }

    @Test("the edges of the occurred_at range are accepted")
    func timestampRangeEdges() throws {
        let decoder = try AuditEventDecoder()
        for text in ["1970-01-01T00:00:00Z", "2099-12-31T23:59:59.999999Z", "2100-01-01T00:59:59+01:00"] {
            let event = try decoder.decode(Array(withTimestamp(text).utf8))
            #expect(AuditEvent.occurredAtRange.contains(event.occurredAt))
        }
    }

    @Test("40 characters is the longest event_id, counted in characters not bytes")
    func eventIDLimit() throws {
        let decoder = try AuditEventDecoder()
        let ascii = edit("7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44", String(repeating: "a", count: 40))
        #expect(try decoder.decode(Array(ascii.utf8)).eventID.count == 40)
        let accented = edit("7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44", String(repeating: "é", count: 40))
        #expect(try decoder.decode(Array(accented.utf8)).eventID.count == 40)
    }

    @Test("a 1 MiB message is accepted; the limit is configurable")
    func sizeLimit() throws {
        let padding = (1 << 20) - base.utf8.count - 20
        let text = edit(#""tenant_id""#, #""pad":"\#(String(repeating: "p", count: padding))","tenant_id""#)
        #expect(text.utf8.count <= 1 << 20)
        _ = try AuditEventDecoder().decode(Array(text.utf8))
        let strict = try AuditEventDecoder(limits: .init(maxMessageBytes: 1024))
        let error = #expect(throws: AuditEventError.self) { try strict.decode(Array(text.utf8)) }
        #expect(error?.code == .messageTooLarge)
    }

    @Test("the values limit is enforced and configurable")
    func valuesLimit() throws {
        let strict = try AuditEventDecoder(limits: .init(maxValues: 20))
        let error = #expect(throws: AuditEventError.self) { try strict.decode(Array(base.utf8)) }
        #expect(error?.code == .tooManyValues)
        let wide = edit(#""tenant_id""#, #""x":[\#((0..<5000).map(String.init).joined(separator: ","))],"tenant_id""#)
        _ = try AuditEventDecoder().decode(Array(wide.utf8))
        let limited = try AuditEventDecoder(limits: .init(maxValues: 1000))
        #expect(throws: AuditEventError.self) { try limited.decode(Array(wide.utf8)) }
    }

    @Test("errors never quote the offending value")
    func redaction() throws {
        let secret = "SECRET-TOKEN-0xDEADBEEF"
        let cases = [
            edit(#""tool_call""#, #""\#(secret)""#),
            edit(#""success""#, #""\#(secret)""#),
            withTimestamp(secret),
            edit("7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44", secret + secret),
            edit(#""mcp.audit/1""#, #""\#(secret)""#),
            edit(#""tenant_id""#, #""\#(secret)":{"\#(secret)":1,"\#(secret)":2},"tenant_id""#),
        ]
        let decoder = try AuditEventDecoder()
        for text in cases {
            let error = #expect(throws: AuditEventError.self) { try decoder.decode(Array(text.utf8)) }
            #expect(error.map { !"\($0)".contains(secret) && !"\($0)".contains("DEADBEEF") } == true)
        }
    }

    @Test("every prefix of a valid message is rejected without a crash")
    func everyPrefix() throws {
        let decoder = try AuditEventDecoder()
        let bytes = Array(base.utf8)
        for length in 0..<bytes.count {
            #expect(throws: AuditEventError.self) { try decoder.decode(Array(bytes[0..<length])) }
        }
    }

    @Test("random corruption of the samples never traps")
    func randomCorruption() throws {
        let decoder = try AuditEventDecoder()
        var random = SplitMix64(seed: 2026)
        var rejected = 0
        let samples = try Fixtures.names.map { try Fixtures.bytes($0) }
        for round in 0..<5_000 {
            var bytes = samples[round % samples.count]
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let position = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 4 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes.remove(at: position)
                case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
                default: bytes = Array(bytes[0..<position])
                }
                if bytes.isEmpty { break }
            }
            do {
                _ = try decoder.decode(bytes)
            } catch {
                rejected += 1
                #expect(!error.reason.isEmpty)
            }
        }
        // Most corruptions break the JSON or the contract; some (a changed letter in a value) do not.
        #expect(rejected > 2_500)
    }
}
