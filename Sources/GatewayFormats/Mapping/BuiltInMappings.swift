import AuditEvent

/// The source formats besides `mcp.audit/1`, by their `source.format` names.
public enum GatewayFormat: String, Sendable, Hashable, CaseIterable {
    /// OTLP logs: an `ExportLogsServiceRequest` per message, protobuf or JSON.
    case otlp
    /// MCP Hangar's JSON-lines compliance export, one line per message.
    case hangarJSONLines = "hangar-jsonl"
    /// CEF lines (with or without a syslog header), one per message.
    case cef
    /// IBM ContextForge's structured log, one JSON line (or table row) per message.
    case contextForgeLog = "contextforge-log"
}

extension FieldMapping {
    /// The mapping a format starts from.
    public static func builtIn(for format: GatewayFormat) -> FieldMapping {
        switch format {
        case .otlp: otlp
        case .hangarJSONLines: hangarJSONLines
        case .cef: hangarCEF
        case .contextForgeLog: contextForge
        }
    }

    /// OTLP log records: the OpenTelemetry MCP and GenAI conventions, with
    /// MCP Hangar's own attribute names (`mcp.tool.status`, `mcp.caller.*`,
    /// `hangar.gate.*`) after them. The two sets do not collide, so one
    /// mapping serves both; Hangar's records are told apart by their
    /// `mcp.event.name`.
    static let otlp = FieldMapping(
        sources: [
            .kind: ["mcp.method.name", "mcp.event.name", "gen_ai.operation.name", "@event_name", "@body"],
            .method: ["mcp.method.name"],
            .occurredAt: ["@time", "@observed_time"],
            .durationMs: ["mcp.tool.duration_ms", "mcp.duration_ms"],
            .gateway: ["service.name"],
            .instanceID: ["service.instance.id", "host.name"],
            .version: ["service.version"],
            .originalType: ["mcp.event.name", "@event_name"],
            .tenantID: ["mcp.caller.tenant_id", "tenant.id", "mcp.tenant.id"],
            .actorID: ["mcp.user.id", "enduser.id", "user.id", "mcp.caller.id"],
            .actorType: ["mcp.caller.type"],
            .actorDisplay: ["user.name", "enduser.name"],
            .agentID: ["gen_ai.agent.id", "gen_ai.agent.name"],
            .roles: ["mcp.caller.roles", "enduser.role", "user.roles"],
            .clientName: ["mcp.client.name"],
            .clientVersion: ["mcp.client.version"],
            .sourceIP: ["client.address", "source.address"],
            .userAgent: ["user_agent.original"],
            .sessionID: ["mcp.session.id"],
            .requestID: ["jsonrpc.request.id"],
            .traceID: ["@trace_id"],
            .spanID: ["@span_id"],
            .serverID: ["mcp.server.id", "mcp.server.name", "server.address"],
            .tool: ["gen_ai.tool.name"],
            .resourceURI: ["mcp.resource.uri"],
            .promptName: ["gen_ai.prompt.name", "mcp.prompt.name"],
            .transport: ["network.transport", "mcp.transport"],
            .status: ["mcp.tool.status"],
            .resultBytes: ["mcp.tool.result_size_bytes", "mcp.result.size_bytes"],
            .errorType: ["mcp.error.type", "error.type"],
            .errorMessage: ["error.message", "exception.message"],
            .jsonrpcErrorCode: ["rpc.jsonrpc.error_code", "jsonrpc.error.code"],
            .ruleID: ["hangar.gate.name"],
            .policyReason: ["hangar.gate.reason"],
            .inputTokens: ["gen_ai.usage.input_tokens"],
            .outputTokens: ["gen_ai.usage.output_tokens"],
        ],
        kindWords: [
            "tool_invocation": .toolCall, "execute_tool": .toolCall,
            "mcp_server_state_change": .serverLifecycle,
        ],
        gateway: "other",
        statusWhenSilent: .success
    )

    /// MCP Hangar's compliance export as JSON lines
    /// (`MCP_COMPLIANCE_FORMAT=jsonlines`), and rows of its event store
    /// exported as JSON, which carry `event_id` and `occurred_at`.
    static let hangarJSONLines = FieldMapping(
        sources: [
            .eventID: ["event_id"],
            .kind: ["event_type"],
            .occurredAt: ["occurred_at", "timestamp"],
            .durationMs: ["duration_ms"],
            .originalType: ["event_type"],
            .correlationID: ["correlation_id"],
            .tenantID: ["tenant_id"],
            .actorID: ["user_id", "caller_id"],
            .actorType: ["caller_type"],
            .roles: ["caller_roles"],
            .serverID: ["provider_id"],
            .tool: ["tool_name"],
            .status: ["status"],
            .resultBytes: ["result_size_bytes"],
            .argsSHA256: ["arguments_hash"],
            .errorType: ["error_type"],
            .errorMessage: ["error_message"],
            .ruleID: ["gate"],
            .policyReason: ["gate_reason"],
        ],
        kindWords: hangarEventTypes,
        gateway: "mcp-hangar"
    )

    /// Hangar's event types (the same names in its CEF `act`).
    static let hangarEventTypes: [String: EventKind] = [
        "toolinvocationcompleted": .toolCall, "toolinvocationfailed": .toolCall,
        "toolinvocationdenied": .toolCall, "toolinvocationrequested": .toolCall,
        "providerstatechanged": .serverLifecycle,
    ]

    /// CEF lines. Extension keys with a label (`cs5=echo cs5Label=ToolName`)
    /// are also named by their label, which is how CEF carries vendor
    /// fields; this mapping reads MCP Hangar's labels and signature ids
    /// (101 completed, 102 failed, 103 denied, 202 state change) and the
    /// standard CEF keys any vendor uses.
    static let hangarCEF = FieldMapping(
        sources: [
            .eventID: ["externalId"],
            .kind: ["act", "cef.name"],
            .occurredAt: ["rt", "end", "start"],
            .durationMs: ["DurationMs", "DurationMS"],
            .gateway: ["cef.gateway"],
            .instanceID: ["dvchost", "dvc"],
            .version: ["cef.device_version"],
            .originalType: ["act"],
            .originalID: ["cef.signature_id"],
            .tenantID: ["TenantID", "Tenant"],
            .actorID: ["suser", "suid", "duser"],
            .actorType: ["CallerType"],
            .roles: ["spriv"],
            .sourceIP: ["src"],
            .clientName: ["requestClientApplication"],
            .sessionID: ["SessionID", "Session"],
            .serverID: ["ProviderID", "Server", "ServerID"],
            .tool: ["ToolName", "Tool"],
            .status: ["outcome", "cef.signature_id"],
            .argsBytes: ["in"],
            .resultBytes: ["out"],
            .argsSHA256: ["ArgsSHA256"],
            .errorType: ["reason"],
            .ruleID: ["gate"],
            .policyReason: ["gateReason"],
        ],
        kindWords: hangarEventTypes.merging(["tool invocation completed": .toolCall]) { first, _ in first },
        statusWords: commonStatusWords.merging([
            "101": .success, "102": .toolError, "103": .denied, "202": .unknown,
        ]) { first, _ in first },
        gateway: "other"
    )

    /// ContextForge's structured log: the per-call lines its tool service
    /// writes (`Tool 'x' invoked successfully`, `... invocation failed`,
    /// `Invoking tool: x with arguments: ...`), from its JSON log file or
    /// its `structured_log_entries` table. The decoder reads the call out of
    /// the message text into the `contextforge.*` values named here.
    static let contextForge = FieldMapping(
        sources: [
            .kind: ["contextforge.kind"],
            .phase: ["contextforge.phase"],
            .occurredAt: ["@timestamp", "timestamp"],
            .durationMs: ["duration_ms"],
            .instanceID: ["hostname"],
            .version: ["version"],
            .originalID: ["id"],
            .actorID: ["user_id", "user_email"],
            .sourceIP: ["client_ip"],
            .userAgent: ["user_agent"],
            .correlationID: ["correlation_id"],
            .requestID: ["request_id", "correlation_id"],
            .traceID: ["trace_id"],
            .spanID: ["span_id"],
            .tool: ["contextforge.tool", "context.custom_fields.tool_name"],
            .argKeys: ["contextforge.arg_keys"],
            .status: ["contextforge.status"],
            .errorMessage: ["context.custom_fields.error_message"],
        ],
        kindWords: ["tool_call": .toolCall],
        gateway: "contextforge"
    )
}
