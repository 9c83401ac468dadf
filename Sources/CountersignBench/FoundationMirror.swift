import Foundation

// The peer of the decode benchmark: the Codable struct a user would write for
// mcp.audit/1, decoded by Foundation's JSONDecoder from the same bytes. It reads
// the same fields the simdjson decoder reads, and parses occurred_at too.

struct FoundationAuditEvent: Decodable {
    struct Source: Decodable {
        var gateway: String
        var instance_id: String?
        var version: String?
    }
    struct Actor: Decodable {
        var id: String
        var type: String?
        var agent_id: String?
        var roles: [String]?
        var source_ip: String?
    }
    struct Session: Decodable {
        var id: String?
    }
    struct Target: Decodable {
        var server_id: String?
        var method: String?
        var tool: String?
    }
    struct Request: Decodable {
        var args_sha256: String?
        var arg_keys: [String]?
        var args_bytes: Int64?
    }
    struct Outcome: Decodable {
        var status: String
        var result_bytes: Int64?
        var error_type: String?
        var http_status: Int64?
    }
    struct Policy: Decodable {
        var decision: String?
        var rule_id: String?
    }
    var schema: String
    var event_id: String
    var event_kind: String
    var phase: String?
    var occurred_at: Date
    var duration_ms: Double?
    var source: Source
    var tenant_id: String?
    var actor: Actor
    var session: Session?
    var target: Target?
    var request: Request?
    var outcome: Outcome
    var policy: Policy?
}

func makeFoundationDecoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    decoder.dateDecodingStrategy = .custom { decoder in
        let text = try decoder.singleValueContainer().decode(String.self)
        return try withFraction.parse(text)
    }
    return decoder
}
