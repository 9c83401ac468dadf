/// The `mcp.audit/1` fields a mapping can fill, named as SCHEMA.md names
/// them (`actor.id`, `target.tool`), which is also how a pipeline file's
/// `source.mapping.fields` names them.
public enum EventField: String, Sendable, Hashable, CaseIterable {
    case eventID = "event_id"
    case kind = "event_kind"
    case phase
    case occurredAt = "occurred_at"
    case durationMs = "duration_ms"
    case gateway = "source.gateway"
    case instanceID = "source.instance_id"
    case version = "source.version"
    case originalType = "source.original_type"
    case originalID = "source.original_id"
    case tenantID = "tenant_id"
    case actorID = "actor.id"
    case actorType = "actor.type"
    case actorDisplay = "actor.display"
    case agentID = "actor.agent_id"
    case roles = "actor.roles"
    case credentialID = "actor.credential_id"
    case clientName = "actor.client_name"
    case clientVersion = "actor.client_version"
    case sourceIP = "actor.source_ip"
    case userAgent = "actor.user_agent"
    case sessionID = "session.id"
    case correlationID = "session.correlation_id"
    case requestID = "session.request_id"
    case traceID = "session.trace_id"
    case spanID = "session.span_id"
    case serverID = "target.server_id"
    case method = "target.method"
    case tool = "target.tool"
    case resourceURI = "target.resource_uri"
    case promptName = "target.prompt_name"
    case transport = "target.transport"
    case argsSHA256 = "request.args_sha256"
    case argKeys = "request.arg_keys"
    case argsBytes = "request.args_bytes"
    case status = "outcome.status"
    case resultBytes = "outcome.result_bytes"
    case resultTokens = "outcome.result_tokens"
    case errorType = "outcome.error_type"
    case errorMessage = "outcome.error_message"
    case jsonrpcErrorCode = "outcome.jsonrpc_error_code"
    case httpStatus = "outcome.http_status"
    case policyDecision = "policy.decision"
    case policyID = "policy.policy_id"
    case policyVersion = "policy.policy_version"
    case ruleID = "policy.rule_id"
    case policyReason = "policy.reason"
    case inputTokens = "cost.input_tokens"
    case outputTokens = "cost.output_tokens"

    /// The field's place in ``allCases``: resolved records keep values in
    /// an array by it (a dictionary lookup per field costs more than the
    /// rest of the mapping).
    public var ordinal: Int {
        switch self {
        case .eventID: 0
        case .kind: 1
        case .phase: 2
        case .occurredAt: 3
        case .durationMs: 4
        case .gateway: 5
        case .instanceID: 6
        case .version: 7
        case .originalType: 8
        case .originalID: 9
        case .tenantID: 10
        case .actorID: 11
        case .actorType: 12
        case .actorDisplay: 13
        case .agentID: 14
        case .roles: 15
        case .credentialID: 16
        case .clientName: 17
        case .clientVersion: 18
        case .sourceIP: 19
        case .userAgent: 20
        case .sessionID: 21
        case .correlationID: 22
        case .requestID: 23
        case .traceID: 24
        case .spanID: 25
        case .serverID: 26
        case .method: 27
        case .tool: 28
        case .resourceURI: 29
        case .promptName: 30
        case .transport: 31
        case .argsSHA256: 32
        case .argKeys: 33
        case .argsBytes: 34
        case .status: 35
        case .resultBytes: 36
        case .resultTokens: 37
        case .errorType: 38
        case .errorMessage: 39
        case .jsonrpcErrorCode: 40
        case .httpStatus: 41
        case .policyDecision: 42
        case .policyID: 43
        case .policyVersion: 44
        case .ruleID: 45
        case .policyReason: 46
        case .inputTokens: 47
        case .outputTokens: 48
        }
    }

    /// Every field name, for errors and `countersign check`.
    public static var names: [String] { allCases.map(\.rawValue) }
}
