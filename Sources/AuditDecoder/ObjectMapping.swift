import AuditEvent
import CSimdjson

// The nested objects of mcp.audit/1. Each reader walks the object's direct
// members; unknown members are kept under the object's name. The member loop
// is written out in each reader on purpose: a shared helper taking a closure
// measured 5% more instructions per event (callgrind), on the hottest path.

/// Member names of the contract's nested objects, in each reader's case order.
enum ObjectNames {
    static let source = ["gateway", "instance_id", "version", "original_type", "original_id"]
    static let actor = [
        "id", "type", "display", "agent_id", "roles", "credential_id", "client_name", "client_version", "source_ip",
        "user_agent",
    ]
    static let session = ["id", "correlation_id", "request_id", "trace_id", "span_id"]
    static let target = ["server_id", "method", "tool", "resource_uri", "prompt_name", "transport"]
    static let request = ["args_sha256", "arg_keys", "args_bytes", "args"]
    static let outcome = [
        "status", "result_bytes", "result_tokens", "error_type", "error_message", "jsonrpc_error_code", "http_status",
    ]
    static let policy = ["decision", "policy_id", "policy_version", "rule_id", "reason"]
    static let cost = ["input_tokens", "output_tokens"]
    static let all = source + actor + session + target + request + outcome + policy + cost
}

private let sourceKeys = KeyTable(ObjectNames.source)
private let actorKeys = KeyTable(ObjectNames.actor)
private let sessionKeys = KeyTable(ObjectNames.session)
private let targetKeys = KeyTable(ObjectNames.target)
private let requestKeys = KeyTable(ObjectNames.request)
private let outcomeKeys = KeyTable(ObjectNames.outcome)
private let policyKeys = KeyTable(ObjectNames.policy)
private let costKeys = KeyTable(ObjectNames.cost)

extension TapeReader {
    func readSource(_ object: Int, into source: inout Source, _ unknown: inout [UnknownField]) throws(AuditEventError) {
        var gateway: String?
        var seen: UInt32 = 0
        var key = object + 1
        let end = closing(object)
        while key < end {
            let child = key + 1
            switch try member(key, sourceKeys, &seen) {
            case 0: gateway = try requiredString(child, "source.gateway")
            case 1: source.instanceID = try optionalString(child, "source.instance_id")
            case 2: source.version = try optionalString(child, "source.version")
            case 3: source.originalType = try optionalString(child, "source.original_type")
            case 4: source.originalID = try optionalString(child, "source.original_id")
            default: try keepUnknown(key, parent: "source", &unknown)
            }
            key = after(child)
        }
        guard let gateway else { throw missing("source.gateway") }
        source.gateway = gateway
    }

    func readActor(_ object: Int, into actor: inout Actor, _ unknown: inout [UnknownField]) throws(AuditEventError) {
        var id: String?
        var seen: UInt32 = 0
        var key = object + 1
        let end = closing(object)
        while key < end {
            let child = key + 1
            switch try member(key, actorKeys, &seen) {
            case 0: id = try requiredString(child, "actor.id")
            case 1: actor.type = try optionalEnum(child, "actor.type", ActorType.table)
            case 2: actor.display = try optionalString(child, "actor.display")
            case 3: actor.agentID = try optionalString(child, "actor.agent_id")
            case 4: actor.roles = try optionalStringArray(child, "actor.roles")
            case 5: actor.credentialID = try optionalString(child, "actor.credential_id")
            case 6: actor.clientName = try optionalString(child, "actor.client_name")
            case 7: actor.clientVersion = try optionalString(child, "actor.client_version")
            case 8: actor.sourceIP = try optionalString(child, "actor.source_ip")
            case 9: actor.userAgent = try optionalString(child, "actor.user_agent")
            default: try keepUnknown(key, parent: "actor", &unknown)
            }
            key = after(child)
        }
        guard let id else { throw missing("actor.id") }
        actor.id = id
    }

    func readSession(
        _ object: Int,
        into session: inout Session,
        _ unknown: inout [UnknownField]
    ) throws(AuditEventError) {
        var seen: UInt32 = 0
        var key = object + 1
        let end = closing(object)
        while key < end {
            let child = key + 1
            switch try member(key, sessionKeys, &seen) {
            case 0: session.id = try optionalString(child, "session.id")
            case 1: session.correlationID = try optionalString(child, "session.correlation_id")
            case 2: session.requestID = try optionalString(child, "session.request_id")
            case 3: session.traceID = try optionalString(child, "session.trace_id")
            case 4: session.spanID = try optionalString(child, "session.span_id")
            default: try keepUnknown(key, parent: "session", &unknown)
            }
            key = after(child)
        }
    }

    /// The target, and whether `server_id` was present (it may be null, but a tool call must carry it).
    func readTarget(
        _ object: Int,
        into target: inout Target,
        _ unknown: inout [UnknownField]
    ) throws(AuditEventError) -> Bool {
        var serverIDPresent = false
        var seen: UInt32 = 0
        var key = object + 1
        let end = closing(object)
        while key < end {
            let child = key + 1
            switch try member(key, targetKeys, &seen) {
            case 0:
                target.serverID = try optionalString(child, "target.server_id")
                serverIDPresent = true
            case 1: target.method = try requiredString(child, "target.method")
            case 2: target.tool = try requiredString(child, "target.tool")
            case 3: target.resourceURI = try optionalString(child, "target.resource_uri")
            case 4: target.promptName = try optionalString(child, "target.prompt_name")
            case 5: target.transport = try optionalString(child, "target.transport")
            default: try keepUnknown(key, parent: "target", &unknown)
            }
            key = after(child)
        }
        return serverIDPresent
    }

    func readRequest(
        _ object: Int,
        into request: inout Request,
        _ unknown: inout [UnknownField]
    ) throws(AuditEventError) {
        var seen: UInt32 = 0
        var key = object + 1
        let end = closing(object)
        while key < end {
            let child = key + 1
            switch try member(key, requestKeys, &seen) {
            case 0:
                let type = tag(child)
                if type == Tag.string {
                    guard let digest = SHA256Digest(hex: bytes(child)) else {
                        throw invalid("request.args_sha256", "must be 64 hexadecimal digits")
                    }
                    request.argsSHA256 = digest
                } else if type != Tag.null {
                    throw wrongType("request.args_sha256", expected: "a string")
                }
            case 1: request.argKeys = try optionalStringArray(child, "request.arg_keys")
            case 2: request.argsBytes = try optionalInteger(child, "request.args_bytes", in: 0...Int64.max)
            case 3: request.args = tag(child) == Tag.null ? nil : try raw(child, "request.args")
            default: try keepUnknown(key, parent: "request", &unknown)
            }
            key = after(child)
        }
    }

    func readOutcome(
        _ object: Int,
        into outcome: inout Outcome,
        _ unknown: inout [UnknownField]
    ) throws(AuditEventError) {
        var status: OutcomeStatus?
        var seen: UInt32 = 0
        var key = object + 1
        let end = closing(object)
        while key < end {
            let child = key + 1
            switch try member(key, outcomeKeys, &seen) {
            case 0: status = try optionalEnum(child, "outcome.status", OutcomeStatus.table)
            case 1: outcome.resultBytes = try optionalInteger(child, "outcome.result_bytes", in: 0...Int64.max)
            case 2: outcome.resultTokens = try optionalInteger(child, "outcome.result_tokens", in: 0...Int64.max)
            case 3: outcome.errorType = try optionalString(child, "outcome.error_type")
            case 4:
                if let message = try optionalString(child, "outcome.error_message") {
                    if Rules.scalarCount(bytes(child)) > Rules.errorMessageMaxCharacters {
                        throw invalid(
                            "outcome.error_message",
                            "longer than \(Rules.errorMessageMaxCharacters) characters"
                        )
                    }
                    outcome.errorMessage = message
                }
            case 5:
                outcome.jsonrpcErrorCode = try optionalInteger(
                    child,
                    "outcome.jsonrpc_error_code",
                    in: Int64.min...Int64.max
                )
            case 6: outcome.httpStatus = try optionalInteger(child, "outcome.http_status", in: Rules.httpStatusRange)
            default: try keepUnknown(key, parent: "outcome", &unknown)
            }
            key = after(child)
        }
        guard let status else { throw missing("outcome.status") }
        outcome.status = status
    }

    func readPolicy(_ object: Int, into policy: inout Policy, _ unknown: inout [UnknownField]) throws(AuditEventError) {
        var seen: UInt32 = 0
        var key = object + 1
        let end = closing(object)
        while key < end {
            let child = key + 1
            switch try member(key, policyKeys, &seen) {
            case 0: policy.decision = try optionalEnum(child, "policy.decision", PolicyDecision.table)
            case 1: policy.policyID = try optionalString(child, "policy.policy_id")
            case 2: policy.policyVersion = try optionalString(child, "policy.policy_version")
            case 3: policy.ruleID = try optionalString(child, "policy.rule_id")
            case 4: policy.reason = try optionalString(child, "policy.reason")
            default: try keepUnknown(key, parent: "policy", &unknown)
            }
            key = after(child)
        }
    }

    func readCost(_ object: Int, into cost: inout Cost, _ unknown: inout [UnknownField]) throws(AuditEventError) {
        var seen: UInt32 = 0
        var key = object + 1
        let end = closing(object)
        while key < end {
            let child = key + 1
            switch try member(key, costKeys, &seen) {
            case 0: cost.inputTokens = try optionalMeasure(child, "cost.input_tokens")
            case 1: cost.outputTokens = try optionalMeasure(child, "cost.output_tokens")
            default: try keepUnknown(key, parent: "cost", &unknown)
            }
            key = after(child)
        }
    }
}
