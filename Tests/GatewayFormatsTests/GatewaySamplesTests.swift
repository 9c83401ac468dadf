import AuditEvent
import Foundation
import GatewayFormats
import Testing

/// The real gateway samples under Fixtures decode to the calls the capture
/// made (their READMEs): echo and read_file succeeded, fail was a tool
/// error, delete_everything was denied by the deny list; the fifth call
/// (an unknown tool) left no record anywhere.
enum Samples {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(path)))
    }

    static func lines(_ path: String) throws -> [[UInt8]] {
        try bytes(path).split(separator: 0x0A).map { Array($0) }.filter { !$0.isEmpty }
    }

    static func decoder(_ format: GatewayFormat) throws -> GatewayDecoder {
        try GatewayDecoder(format: format, mapping: .builtIn(for: format))
    }

    static func decode(_ format: GatewayFormat, message: [UInt8]) throws -> DecodedMessage {
        try decoder(format).decode(message)
    }

    /// Every line of a file as one message; the events in order.
    static func decodeLines(_ format: GatewayFormat, _ path: String) throws -> DecodedMessage {
        let decoder = try decoder(format)
        var all = DecodedMessage()
        for line in try lines(path) {
            let decoded = try decoder.decode(line)
            all.events += decoded.events
            all.failures += decoded.failures
            all.skipped += decoded.skipped
        }
        return all
    }
}

/// The four tool calls of the Hangar capture, as every Hangar format must give them.
func expectHangarCalls(_ events: [AuditEvent], gateway: String = "mcp-hangar") {
    let calls = events.filter { $0.kind == .toolCall }
    #expect(calls.map { $0.target.tool } == ["echo", "read_file", "fail", "delete_everything"])
    #expect(calls.map(\.outcome.status) == [.success, .success, .toolError, .denied])
    for call in calls {
        #expect(call.actor.id == "alice@acme.example")
        #expect(call.actor.type == .user)
        #expect(call.actor.roles == ["developer"])
        #expect(call.tenantID == "acme")
        #expect(call.target.serverID == "stub")
        #expect(call.target.method == "tools/call")
        #expect(call.source.gateway == gateway)
        #expect(call.durationMs != nil)
        #expect(call.eventID.count == 36)
    }
    #expect(calls[2].outcome.errorType == "tool_error")
    #expect(calls[3].policy.decision == .deny)
    #expect(calls[3].policy.ruleID == "tool_access")
    #expect(calls[3].policy.reason == "tool_not_in_access_policy")
    let lifecycle = events.filter { $0.kind == .serverLifecycle }
    #expect(lifecycle.count == 2)
    #expect(lifecycle.allSatisfy { $0.target.serverID == "stub" && $0.actor.id == "anonymous" })
}

@Suite("Real gateway samples")
struct GatewaySamplesTests {
    @Test("Hangar's raw OTLP/HTTP bodies (protobuf): 2 state changes and 4 calls, every field")
    func hangarOTLPProtobuf() throws {
        let first = try Samples.decode(.otlp, message: try Samples.bytes("hangar/run-jsonlines-001-logs.pb"))
        let second = try Samples.decode(.otlp, message: try Samples.bytes("hangar/run-jsonlines-003-logs.pb"))
        #expect(first.failures.isEmpty && second.failures.isEmpty)
        #expect(first.events.count == 3 && second.events.count == 3)
        let events = first.events + second.events
        expectHangarCalls(events)
        for event in events {
            #expect(event.source.version == "2.34.4")
            #expect(event.source.instanceID == "vm-3c26d63e")
            #expect(event.session.traceID?.count == 32)
            #expect(event.session.spanID?.count == 16)
        }
        let echo = try #require(events.first { $0.target.tool == "echo" })
        #expect(echo.occurredAt.rfc3339 == "2026-11-25T23:09:00.694126Z")
        #expect(echo.durationMs == 3.8509368896484375)
        #expect(echo.source.originalType == "tool_invocation")
        #expect(echo.session.traceID == "687e757b1d9c05b2baa9967042fdb7b8")
        #expect(echo.session.spanID == "7dcf28c34f3e5ee8")
    }

    @Test("the same bodies as OTLP/JSON give the same events, ids included")
    func hangarOTLPJSONMatchesProtobuf() throws {
        for (proto, json) in [
            ("hangar/run-jsonlines-001-logs.pb", "hangar/run-jsonlines_001-logs.otlp.json"),
            ("hangar/run-jsonlines-003-logs.pb", "hangar/run-jsonlines_003-logs.otlp.json"),
            ("hangar/run-cef-001-logs.pb", "hangar/run-cef_001-logs.otlp.json"),
        ] {
            let fromProto = try Samples.decode(.otlp, message: try Samples.bytes(proto))
            let fromJSON = try Samples.decode(.otlp, message: try Samples.bytes(json))
            #expect(fromProto.events.map(\.eventID) == fromJSON.events.map(\.eventID))
            #expect(
                fromProto.events.map { $0.jsonBytes() } == fromJSON.events.map { $0.jsonBytes() },
                "\(proto) and \(json)"
            )
        }
    }

    @Test("a Collector-shaped batch (OTLP proto and JSON): three calls of three members")
    func collectorBatch() throws {
        let proto = try Samples.decode(
            .otlp,
            message: try Samples.bytes("otlp/kafka-value.otlp_proto.synthetic-hangar-attrs.bin")
        )
        let json = try Samples.decode(
            .otlp,
            message: try Samples.bytes("otlp/kafka-value.otlp_json.synthetic-hangar-attrs.json")
        )
        #expect(proto.events.map(\.eventID) == json.events.map(\.eventID))
        #expect(proto.events.map(\.actor.id) == ["alice@acme.example", "bob@acme.example", "intern-7"])
        #expect(proto.events.map { $0.target.tool } == ["create_issue", "search_code", "delete_repo"])
        #expect(proto.events.map(\.outcome.status) == [.success, .toolError, .denied])
        #expect(proto.events.map { $0.actor.roles } == [["developer"], ["developer"], ["viewer"]])
        #expect(proto.events.allSatisfy { $0.target.serverID == "github" && $0.tenantID == "acme" })
    }

    @Test("Hangar's JSON-lines export: the same calls, times from the export")
    func hangarJSONLines() throws {
        let decoded = try Samples.decodeLines(.hangarJSONLines, "hangar/compliance.jsonlines.log")
        #expect(decoded.failures.isEmpty)
        #expect(decoded.events.count == 6)
        expectHangarCalls(decoded.events)
        #expect(decoded.events[2].occurredAt.rfc3339 == "2026-11-25T23:09:00.694235Z")
        #expect(decoded.events[2].source.originalType == "ToolInvocationCompleted")
    }

    @Test("Hangar's CEF export: the same calls, by labels and signature ids")
    func hangarCEF() throws {
        let decoded = try Samples.decodeLines(.cef, "hangar/compliance.cef.log")
        #expect(decoded.failures.isEmpty)
        #expect(decoded.events.count == 6)
        expectHangarCalls(decoded.events)
        let calls = decoded.events.filter { $0.kind == .toolCall }
        #expect(calls.map { $0.source.originalID } == ["101", "101", "102", "103"])
        #expect(calls[0].occurredAt.rfc3339 == "2026-11-25T23:08:45.713Z")
        #expect(calls[0].source.version == "2.34.4")
    }

    @Test("ContextForge's JSON log: a request record per call it tried, no user (the log has none)")
    func contextForgeLogFile() throws {
        let decoded = try Samples.decodeLines(.contextForgeLog, "contextforge/gateway-log-tool_service.jsonl")
        #expect(decoded.failures.isEmpty)
        #expect(decoded.skipped == 2)
        #expect(
            decoded.events.map { $0.target.tool } == [
                "stub-echo", "stub-read-file", "stub-fail", "stub-delete-everything", "stub-nope",
            ]
        )
        #expect(decoded.events.allSatisfy { $0.phase == .request && $0.outcome.status == .unknown })
        #expect(decoded.events.allSatisfy { $0.actor.id == "anonymous" && $0.source.gateway == "contextforge" })
        #expect(decoded.events.map { $0.request.argKeys } == [["text"], ["path"], ["reason"], ["confirm"], nil])
        #expect(decoded.events[0].session.requestID == "7aa83446c8b24ba6a5d0bc439a920b88")
    }

    @Test("ContextForge's structured log rows: three finished calls with user and duration")
    func contextForgeRows() throws {
        let decoded = try Samples.decodeLines(.contextForgeLog, "contextforge/structured_log_entries.jsonl")
        #expect(decoded.failures.isEmpty)
        #expect(decoded.events.map { $0.target.tool } == ["stub-echo", "stub-read-file", "stub-fail"])
        #expect(decoded.events.map(\.outcome.status) == [.success, .success, .toolError])
        #expect(decoded.events.allSatisfy { $0.actor.id == "admin@acme.example" && $0.phase == .final })
        #expect(decoded.events[0].durationMs == 87.5951770001393)
        #expect(decoded.events[0].session.correlationID == "7aa83446c8b24ba6a5d0bc439a920b88")
        #expect(decoded.events[0].occurredAt.rfc3339 == "2026-11-25T23:10:30.331443Z")
        #expect(decoded.skipped == 18)
    }
}
