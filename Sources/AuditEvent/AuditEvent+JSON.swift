extension AuditEvent {
    /// The event as compact `mcp.audit/1` JSON, members in contract order.
    ///
    /// Deterministic: equal events give equal bytes. This is a re-encoding,
    /// used for events Countersign creates (alerts, generated traffic); a
    /// consumed event's archived form is always ``raw``.
    public func jsonBytes() -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("schema", AuditEvent.schemaIdentifier)
        w.field("event_id", eventID)
        w.field("event_kind", kind.rawValue)
        w.field("phase", phase?.rawValue)
        w.field("occurred_at", occurredAt.rfc3339)
        w.field("duration_ms", durationMs)
        w.beginObject("source")
        w.field("gateway", source.gateway)
        w.field("instance_id", source.instanceID)
        w.field("version", source.version)
        w.field("original_type", source.originalType)
        w.field("original_id", source.originalID)
        writeUnknown(&w, in: "source")
        w.endObject()
        w.field("tenant_id", tenantID)
        w.beginObject("actor")
        w.field("id", actor.id)
        w.field("type", actor.type?.rawValue)
        w.field("display", actor.display)
        w.field("agent_id", actor.agentID)
        w.field("roles", actor.roles)
        w.field("credential_id", actor.credentialID)
        w.field("client_name", actor.clientName)
        w.field("client_version", actor.clientVersion)
        w.field("source_ip", actor.sourceIP)
        w.field("user_agent", actor.userAgent)
        writeUnknown(&w, in: "actor")
        w.endObject()
        if session != Session() || hasUnknown(in: "session") {
            w.beginObject("session")
            w.field("id", session.id)
            w.field("correlation_id", session.correlationID)
            w.field("request_id", session.requestID)
            w.field("trace_id", session.traceID)
            w.field("span_id", session.spanID)
            writeUnknown(&w, in: "session")
            w.endObject()
        }
        if target != Target() || kind == .toolCall || hasUnknown(in: "target") {
            w.beginObject("target")
            if let serverID = target.serverID {
                w.field("server_id", serverID)
            } else if kind == .toolCall {
                w.nullField("server_id")
            }
            w.field("method", target.method)
            w.field("tool", target.tool)
            w.field("resource_uri", target.resourceURI)
            w.field("prompt_name", target.promptName)
            w.field("transport", target.transport)
            writeUnknown(&w, in: "target")
            w.endObject()
        }
        if request != Request() || hasUnknown(in: "request") {
            w.beginObject("request")
            w.field("args_sha256", request.argsSHA256?.hex)
            w.field("arg_keys", request.argKeys)
            w.field("args_bytes", request.argsBytes)
            w.field("args", request.args)
            writeUnknown(&w, in: "request")
            w.endObject()
        }
        w.beginObject("outcome")
        w.field("status", outcome.status.rawValue)
        w.field("result_bytes", outcome.resultBytes)
        w.field("result_tokens", outcome.resultTokens)
        w.field("error_type", outcome.errorType)
        w.field("error_message", outcome.errorMessage)
        w.field("jsonrpc_error_code", outcome.jsonrpcErrorCode)
        w.field("http_status", outcome.httpStatus)
        writeUnknown(&w, in: "outcome")
        w.endObject()
        if policy != Policy() || hasUnknown(in: "policy") {
            w.beginObject("policy")
            w.field("decision", policy.decision?.rawValue)
            w.field("policy_id", policy.policyID)
            w.field("policy_version", policy.policyVersion)
            w.field("rule_id", policy.ruleID)
            w.field("reason", policy.reason)
            writeUnknown(&w, in: "policy")
            w.endObject()
        }
        if cost != Cost() || hasUnknown(in: "cost") {
            w.beginObject("cost")
            w.field("input_tokens", cost.inputTokens)
            w.field("output_tokens", cost.outputTokens)
            writeUnknown(&w, in: "cost")
            w.endObject()
        }
        w.field("detection", detection)
        w.field("enrichment", enrichment)
        w.field("ingest", ingest)
        writeUnknown(&w, in: nil)
        w.endObject()
        return w.bytes
    }

    private func hasUnknown(in parent: String) -> Bool {
        unknownFields.contains { $0.path.count == 2 && $0.path[0] == parent }
    }

    private func writeUnknown(_ w: inout JSONWriter, in parent: String?) {
        for field in unknownFields {
            if let parent {
                if field.path.count == 2, field.path[0] == parent { w.field(dynamicKey: field.path[1], field.value) }
            } else if field.path.count == 1 {
                w.field(dynamicKey: field.path[0], field.value)
            }
        }
    }
}
