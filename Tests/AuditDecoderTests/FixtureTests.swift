import AuditDecoder
import AuditEvent
import Foundation
import Testing

/// The sample events under Fixtures/valid, read as raw bytes.
enum Fixtures {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/valid")

    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted()
    }()

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func decode(_ name: String) throws -> AuditEvent {
        try AuditEventDecoder().decode(bytes(name))
    }
}

@Suite("Sample events")
struct FixtureTests {
    @Test("the fixture folder holds the samples")
    func fixturesExist() {
        #expect(Fixtures.names.count >= 7)
    }

    @Test("every sample decodes and keeps its raw bytes unchanged", arguments: Fixtures.names)
    func sampleDecodes(name: String) throws {
        let raw = try Fixtures.bytes(name)
        let event = try AuditEventDecoder().decode(raw)
        #expect(event.raw == raw)
        #expect(!event.eventID.isEmpty)
    }

    @Test("the contract's successful tool call")
    func successfulToolCall() throws {
        let event = try Fixtures.decode("tool-call-success.json")
        #expect(event.eventID == "7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44")
        #expect(event.kind == .toolCall)
        #expect(event.phase == .final)
        #expect(event.occurredAt.rfc3339 == "2026-08-20T10:15:02.481Z")
        #expect(event.durationMs == 142.7)
        #expect(event.source == Source(gateway: "mcp-hangar", instanceID: "hangar-7d9f", version: "2.13.0"))
        #expect(event.tenantID == "acme")
        #expect(event.actor == Actor(id: "alice@acme.com", type: .user, agentID: "claude-desktop"))
        #expect(event.session.id == "s-1f2e")
        #expect(event.target == Target(serverID: "github", method: "tools/call", tool: "create_issue"))
        #expect(event.request.argsSHA256?.hex == "3b1f0c9e6a7d4b2f8e1c5a9d3f7b2e6c4a8d1f5b9e3c7a2d6f0b4e8c1a5d9f3b")
        #expect(event.request.argKeys == ["repo", "title", "body"])
        #expect(event.request.argsBytes == 412)
        #expect(event.outcome == Outcome(status: .success, resultBytes: 2311))
        #expect(event.policy == Policy())
        #expect(event.unknownFields.isEmpty)
    }

    @Test("the contract's denied call")
    func deniedCall() throws {
        let event = try Fixtures.decode("tool-call-denied.json")
        #expect(event.actor.sourceIP == "10.1.2.3")
        #expect(event.policy.decision == .deny)
        #expect(event.policy.ruleID == "no-prod-db")
        #expect(event.outcome.status == .denied)
        #expect(event.outcome.httpStatus == 403)
        #expect(event.phase == nil)
    }

    @Test("a null server_id is a routing failure, not a missing field")
    func nullServer() throws {
        let event = try Fixtures.decode("tool-call-routing-failed.json")
        #expect(event.target.serverID == nil)
        #expect(event.target.transport == "streamable-http")
        #expect(event.outcome.jsonrpcErrorCode == -32601)
        #expect(event.outcome.errorMessage == "no server exposes tool \"export_report\"\nrouting table v12")
        #expect(event.durationMs == 3)
    }

    @Test("offsets convert to UTC and nanoseconds truncate to microseconds")
    func offsetTimestamp() throws {
        let event = try Fixtures.decode("resource-read-with-offset.json")
        #expect(event.occurredAt.rfc3339 == "2026-08-21T09:00:00.123456Z")
        #expect(event.actor.roles == ["analyst", "oncall"])
        #expect(event.session.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(event.outcome.resultTokens == 250_000)
        #expect(event.cost == Cost(inputTokens: 1200, outputTokens: 35.5))
    }

    @Test("a gateway detection keeps its detection object as JSON")
    func detection() throws {
        let event = try Fixtures.decode("detection-from-gateway.json")
        #expect(event.kind == .detection)
        #expect(
            event.detection?.text == #"{"detector":"gateway.rate","severity":7,"evidence":{"calls_per_minute":940}}"#
        )
    }

    @Test("unknown members are kept, in order, with their paths")
    func unknownFields() throws {
        let event = try Fixtures.decode("authn-with-unknown-fields.json")
        #expect(
            event.unknownFields == [
                UnknownField(path: ["source", "region"], value: RawJSON(text: #""eu-west-1""#)),
                UnknownField(path: ["actor", "department"], value: RawJSON(text: #""unknown""#)),
                UnknownField(
                    path: ["x_vendor"],
                    value: RawJSON(text: #"{"trace":[1,2,{"deep":true}],"note":"kept as is"}"#)
                ),
            ]
        )
        #expect(event.enrichment?.text == #"{"risk_score":0.2}"#)
        #expect(event.ingest?.text == #"{"topic":"mcp.audit","partition":3,"offset":1200}"#)
        #expect(event.occurredAt.rfc3339 == "2026-08-22T06:59:59.500Z")
    }

    @Test("null optionals read as absent; escapes are decoded; a leap second holds")
    func nullsAndEscapes() throws {
        let event = try Fixtures.decode("prompt-get-with-nulls-and-escapes.json")
        #expect(event.eventID == "pg-été-1")
        #expect(event.actor.id == "rémi|ops=1\\x")
        #expect(event.target.promptName == "summarise \"weekly\" report\tv2")
        #expect(event.request.args?.text == #"{"tone":"formal","limit":3}"#)
        #expect(event.request.argsSHA256 == nil)
        #expect(event.durationMs == nil && event.tenantID == nil && event.source.version == nil)
        #expect(event.occurredAt.rfc3339 == "2026-08-22T23:59:59.999999Z")
    }
}
