/// What happened at the gateway; the closed set of `event_kind` values.
public enum EventKind: String, Sendable, Hashable, CaseIterable {
    case toolCall = "tool_call"
    case resourceRead = "resource_read"
    case promptGet = "prompt_get"
    case list
    case session
    case authn
    case authz
    case policy
    case serverLifecycle = "server_lifecycle"
    case detection

    /// Kinds that are MCP requests and therefore name `target.method`.
    public var isMCPRequest: Bool {
        switch self {
        case .toolCall, .resourceRead, .promptGet, .list: true
        default: false
        }
    }
}

/// Whether the event records the request or the final result (Hangar emits both).
public enum Phase: String, Sendable, Hashable, CaseIterable {
    case request
    case final
}

/// The kind of member behind the call.
public enum ActorType: String, Sendable, Hashable, CaseIterable {
    case user
    case agent
    case service
    case anonymous
}

/// How the call ended.
public enum OutcomeStatus: String, Sendable, Hashable, CaseIterable {
    case success
    case toolError = "tool_error"
    case protocolError = "protocol_error"
    case denied
    case timeout
    case rateLimited = "rate_limited"
    case approvalRequired = "approval_required"
    case cancelled
    case unknown

    /// True for every status but `success`; the failure signal of the probing detector.
    public var isFailure: Bool { self != .success }
}

/// The gateway's policy verdict.
public enum PolicyDecision: String, Sendable, Hashable, CaseIterable {
    case allow
    case deny
    case quarantine
    case approvalRequired = "approval_required"
}
