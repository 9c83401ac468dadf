import AuditEvent
import Foundation
import GatewayFormats
import OTLPProto
import SwiftProtobuf
import Testing

typealias Request = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest
typealias LogRecord = Opentelemetry_Proto_Logs_V1_LogRecord

/// A log record with string attributes, at a fixed time.
func logRecord(_ attributes: [(String, String)], nanos: UInt64 = 1_795_648_140_694_126_217) -> LogRecord {
    var record = LogRecord()
    record.timeUnixNano = nanos
    record.attributes = attributes.map { key, value in
        var pair = Opentelemetry_Proto_Common_V1_KeyValue()
        pair.key = key
        pair.value.stringValue = value
        return pair
    }
    return record
}

func request(_ records: [LogRecord], service: String = "gw") throws -> [UInt8] {
    var request = Request()
    var resourceLogs = Opentelemetry_Proto_Logs_V1_ResourceLogs()
    var name = Opentelemetry_Proto_Common_V1_KeyValue()
    name.key = "service.name"
    name.value.stringValue = service
    resourceLogs.resource.attributes = [name]
    var scope = Opentelemetry_Proto_Logs_V1_ScopeLogs()
    scope.logRecords = records
    resourceLogs.scopeLogs = [scope]
    request.resourceLogs = [resourceLogs]
    return try request.serializedBytes()
}

let semconvCall: [(String, String)] = [
    ("mcp.method.name", "tools/call"), ("gen_ai.tool.name", "run_query"), ("user.id", "carol"),
    ("mcp.session.id", "s-1"), ("jsonrpc.request.id", "7"),
]

@Suite("Gateway record mapping")
struct MappingTests {
    let otlp = try! GatewayDecoder(format: .otlp, mapping: .builtIn(for: .otlp))

    @Test("OpenTelemetry MCP conventions: method, tool, user, session, request id; error.type decides the status")
    func semanticConventions() throws {
        let failed = semconvCall + [("error.type", "tool_error")]
        let protocolError = semconvCall + [("error.type", "-32602")]
        let decoded = try otlp.decode(
            try request([logRecord(semconvCall), logRecord(failed), logRecord(protocolError)])
        )
        #expect(decoded.events.count == 3)
        let call = decoded.events[0]
        #expect(call.kind == .toolCall)
        #expect(call.target.method == "tools/call" && call.target.tool == "run_query")
        #expect(call.actor.id == "carol" && call.session.id == "s-1" && call.session.requestID == "7")
        #expect(call.source.gateway == "gw")
        #expect(decoded.events.map(\.outcome.status) == [.success, .toolError, .protocolError])
    }

    @Test("one bad record of a batch is refused alone, with its place; the rest are delivered")
    func perRecordFailure() throws {
        let noTool = [("mcp.method.name", "tools/call"), ("user.id", "carol")]
        let decoded = try otlp.decode(
            try request([logRecord(semconvCall), logRecord(noTool), logRecord(semconvCall, nanos: 0)])
        )
        #expect(decoded.events.count == 1)
        #expect(decoded.failures.map(\.record) == [1, 2])
        #expect(decoded.failures[0].error.code == .missingField)
        #expect(decoded.failures[0].error.field == "target.tool")
        #expect(decoded.failures[1].error.code == .missingField && decoded.failures[1].error.field == "occurred_at")
        // The dead letter's value is the record's canonical JSON, valid JSON.
        #expect((try? JSONSerialization.jsonObject(with: Data(decoded.failures[0].value))) != nil)
    }

    @Test("a repeated attribute is refused (two readers could pick different values)")
    func duplicateAttribute() throws {
        let decoded = try otlp.decode(try request([logRecord(semconvCall + [("user.id", "mallory")])]))
        #expect(decoded.events.isEmpty)
        #expect(decoded.failures.first?.error.code == .duplicateKey)
        #expect(decoded.failures.first?.error.field == "user.id")
    }

    @Test("records that are not MCP calls are skipped, or dead-lettered when the mapping says so")
    func otherRecords() throws {
        let appLog = [("http.route", "/health")]
        let skipped = try otlp.decode(try request([logRecord(appLog), logRecord(semconvCall)]))
        #expect(skipped.events.count == 1 && skipped.skipped == 1 && skipped.failures.isEmpty)
        let strict = try GatewayDecoder(
            format: .otlp,
            mapping: FieldMapping.builtIn(for: .otlp).overridden(by: [:], gateway: nil, otherRecords: .deadLetter)
        )
        let refused = try strict.decode(try request([logRecord(appLog), logRecord(semconvCall)]))
        #expect(refused.events.count == 1 && refused.skipped == 0)
        #expect(refused.failures.map(\.record) == [0])
        #expect(refused.failures.first?.error.code == .notAnMCPRecord)
    }

    @Test("event ids are name-based: the same record gives the same id, another record another")
    func deterministicIDs() throws {
        let first = try otlp.decode(try request([logRecord(semconvCall)]))
        let again = try otlp.decode(try request([logRecord(semconvCall)]))
        let later = try otlp.decode(try request([logRecord(semconvCall, nanos: 1_795_648_140_694_126_218)]))
        let otherInstance = try otlp.decode(try request([logRecord(semconvCall)], service: "gw2"))
        #expect(first.events[0].eventID == again.events[0].eventID)
        #expect(first.events[0].eventID != later.events[0].eventID)
        #expect(first.events[0].eventID != otherInstance.events[0].eventID)
        // Version 5 and the RFC 9562 variant.
        let id = Array(first.events[0].eventID.utf8)
        #expect(id[14] == UInt8(ascii: "5"))
        #expect([UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "a"), UInt8(ascii: "b")].contains(id[19]))
    }

    @Test("version 5 UUIDs match RFC 9562's worked example")
    func uuidVector() {
        // RFC 9562 appendix A.4: DNS namespace, name "www.example.com".
        let dns: [UInt8] = [
            0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
        ]
        #expect(
            NameBasedUUID.version5(namespace: dns, name: Array("www.example.com".utf8))
                == "2ed6657d-e927-568b-95e1-2665a8aea6a2"
        )
    }

    @Test("the hot tier's raw is the record's canonical JSON with the message's SHA-256 and the record's place")
    func rawWrapper() throws {
        let message = try request([logRecord(semconvCall), logRecord(semconvCall, nanos: 1_795_648_140_694_126_999)])
        let decoded = try otlp.decode(message)
        let raw = try #require(
            try JSONSerialization.jsonObject(with: Data(decoded.events[1].raw)) as? [String: Any]
        )
        let source = try #require(raw["countersign_source"] as? [String: Any])
        #expect(source["format"] as? String == "otlp")
        #expect(source["record_index"] as? Int == 1)
        #expect((source["message_sha256"] as? String)?.count == 64)
        let record = try #require(raw["record"] as? [String: Any])
        #expect(record["time_unix_nano"] as? String == "1795648140694126999")
        #expect((record["attributes"] as? [String: Any])?["gen_ai.tool.name"] as? String == "run_query")
    }

    @Test("a pipeline file's names come before the built-in ones")
    func overrides() throws {
        let custom = [("gen_ai.tool.name", "t"), ("acme.member", "m-1"), ("user.id", "u"), ("acme.org", "o")]
        let mapping = FieldMapping.builtIn(for: .otlp).overridden(
            by: [.actorID: ["acme.member"], .tenantID: ["acme.org"]],
            gateway: "acme-gw",
            otherRecords: nil
        )
        let decoder = try GatewayDecoder(format: .otlp, mapping: mapping)
        var request = Request()
        var resourceLogs = Opentelemetry_Proto_Logs_V1_ResourceLogs()
        var scope = Opentelemetry_Proto_Logs_V1_ScopeLogs()
        scope.logRecords = [logRecord(custom)]
        resourceLogs.scopeLogs = [scope]
        request.resourceLogs = [resourceLogs]
        let event = try #require(try decoder.decode(try request.serializedBytes()).events.first)
        #expect(event.actor.id == "m-1" && event.tenantID == "o" && event.source.gateway == "acme-gw")
    }

    @Test("rotel's JSON (the resourceLogs array alone) decodes like OTLP/JSON")
    func rotelJSON() throws {
        let json = try String(
            decoding: Samples.bytes("otlp/kafka-value.otlp_json.synthetic-hangar-attrs.json"),
            as: UTF8.self
        )
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let array = try JSONSerialization.data(withJSONObject: try #require(object["resourceLogs"]))
        let fromArray = try otlp.decode([UInt8](array))
        let fromObject = try otlp.decode(Array(json.utf8))
        #expect(fromArray.events.map(\.eventID) == fromObject.events.map(\.eventID))
        #expect(fromArray.events.count == 3)
    }

    @Test("an encoding set in the pipeline accepts only that encoding")
    func forcedEncoding() throws {
        let proto = try Samples.bytes("otlp/kafka-value.otlp_proto.synthetic-hangar-attrs.bin")
        let json = try Samples.bytes("otlp/kafka-value.otlp_json.synthetic-hangar-attrs.json")
        let mapping = FieldMapping.builtIn(for: .otlp)
        let protobufOnly = try GatewayDecoder(format: .otlp, mapping: mapping, otlpEncoding: .protobuf)
        let jsonOnly = try GatewayDecoder(format: .otlp, mapping: mapping, otlpEncoding: .json)
        #expect(try protobufOnly.decode(proto).events.count == 3)
        #expect(try jsonOnly.decode(json).events.count == 3)
        do {
            _ = try protobufOnly.decode(json)
            Issue.record("JSON decoded as protobuf")
        } catch {
            #expect(error.code == .invalidProtobuf)
        }
        do {
            _ = try jsonOnly.decode(proto)
            Issue.record("protobuf decoded as JSON")
        } catch {
            #expect(error.code == .invalidJSON)
        }
    }

    @Test("what is not an export request is refused as a whole, without quoting it")
    func wholeMessageErrors() {
        #expect(throws: AuditEventError.self) { try otlp.decode([]) }
        #expect((try? otlp.decode(Array("{\"resourceLogs\": 3}".utf8))) == nil)
        do {
            _ = try otlp.decode([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01])
            Issue.record("a truncated protobuf decoded")
        } catch {
            #expect(error.code == .invalidProtobuf)
        }
    }
}

@Suite("CEF lines and record times")
struct CEFAndTimeTests {
    @Test("CEF: escapes in the header and the extension, values with spaces, a syslog prefix")
    func cefParsing() throws {
        let line =
            #"<134>1 2026-11-25T23:08:45Z host app - - - CEF:0|Ven\|dor|Prod|1.0|101|Name|3|suser=a b c msg=x\=y\\z\nw cs5=echo cs5Label=ToolName"#
        let parsed = try CEFLine.parse(Array(line.utf8))
        #expect(parsed.vendor == "Ven|dor")
        #expect(parsed.extensions.map(\.key) == ["suser", "msg", "cs5", "cs5Label"])
        #expect(parsed.extensions[0].value == "a b c")
        #expect(parsed.extensions[1].value == "x=y\\z\nw")
        #expect(throws: AuditEventError.self) { try CEFLine.parse(Array("CEF:0|a|b|c".utf8)) }
        #expect(throws: AuditEventError.self) { try CEFLine.parse(Array("no header here".utf8)) }
    }

    @Test("times: RFC 3339 with offsets, database rows without one, epoch numbers in any unit")
    func times() {
        let expected = "2026-11-25T23:09:00.673685Z"
        let inputs: [RecordValue] = [
            .string("2026-11-25T23:09:00.673685+00:00"), .string("2026-11-25 23:09:00.673685"),
            .string("2026-11-26T00:09:00.673685+01:00"), .double(1_795_648_140.673685),
            .integer(1_795_648_140_673_685), .integer(1_795_648_140_673_685_000),
        ]
        for input in inputs {
            #expect(RecordTime.parse(input)?.rfc3339 == expected, "\(input)")
        }
        #expect(RecordTime.parse(.integer(1_795_648_140_673))?.rfc3339 == "2026-11-25T23:09:00.673Z")
        #expect(RecordTime.parse(.string("yesterday")) == nil)
    }
}
