/// What was called: the MCP server, method and tool or resource.
public struct Target: Sendable, Hashable {
    /// The MCP server; nil when routing failed (JSON null) or when not recorded.
    public var serverID: String? = nil
    /// The MCP method (`tools/call`, `resources/read`, ...).
    public var method: String? = nil
    /// The tool name as the gateway exposes it.
    public var tool: String? = nil
    public var resourceURI: String? = nil
    public var promptName: String? = nil
    public var transport: String? = nil

    /// A blank value for decoders to fill in; not valid until they have.
    @inlinable
    public init() {}

    @inlinable
    public init(
        serverID: String? = nil,
        method: String? = nil,
        tool: String? = nil,
        resourceURI: String? = nil,
        promptName: String? = nil,
        transport: String? = nil
    ) {
        self.serverID = serverID
        self.method = method
        self.tool = tool
        self.resourceURI = resourceURI
        self.promptName = promptName
        self.transport = transport
    }
}

/// What was sent, described without the raw arguments.
public struct Request: Sendable, Hashable {
    /// SHA-256 of the canonical JSON arguments (hex in JSON).
    public var argsSHA256: SHA256Digest? = nil
    public var argKeys: [String]? = nil
    public var argsBytes: Int64? = nil
    /// The arguments themselves, only where the gateway's policy allows; may be redacted.
    public var args: RawJSON? = nil

    /// A blank value for decoders to fill in; not valid until they have.
    @inlinable
    public init() {}

    @inlinable
    public init(
        argsSHA256: SHA256Digest? = nil,
        argKeys: [String]? = nil,
        argsBytes: Int64? = nil,
        args: RawJSON? = nil
    ) {
        self.argsSHA256 = argsSHA256
        self.argKeys = argKeys
        self.argsBytes = argsBytes
        self.args = args
    }
}

/// How the call ended and how much came back (the exfiltration signal).
public struct Outcome: Sendable, Hashable {
    public var status: OutcomeStatus = .unknown
    public var resultBytes: Int64? = nil
    public var resultTokens: Int64? = nil
    public var errorType: String? = nil
    /// At most ``AuditEvent/Limits/errorMessageMaxCharacters`` characters.
    public var errorMessage: String? = nil
    public var jsonrpcErrorCode: Int64? = nil
    public var httpStatus: Int64? = nil

    /// A blank value for decoders to fill in; not valid until they have.
    @inlinable
    public init() {}

    @inlinable
    public init(
        status: OutcomeStatus,
        resultBytes: Int64? = nil,
        resultTokens: Int64? = nil,
        errorType: String? = nil,
        errorMessage: String? = nil,
        jsonrpcErrorCode: Int64? = nil,
        httpStatus: Int64? = nil
    ) {
        self.status = status
        self.resultBytes = resultBytes
        self.resultTokens = resultTokens
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.jsonrpcErrorCode = jsonrpcErrorCode
        self.httpStatus = httpStatus
    }
}

/// The gateway's policy decision for the call.
public struct Policy: Sendable, Hashable {
    public var decision: PolicyDecision? = nil
    public var policyID: String? = nil
    public var policyVersion: String? = nil
    public var ruleID: String? = nil
    public var reason: String? = nil

    /// A blank value for decoders to fill in; not valid until they have.
    @inlinable
    public init() {}

    @inlinable
    public init(
        decision: PolicyDecision? = nil,
        policyID: String? = nil,
        policyVersion: String? = nil,
        ruleID: String? = nil,
        reason: String? = nil
    ) {
        self.decision = decision
        self.policyID = policyID
        self.policyVersion = policyVersion
        self.ruleID = ruleID
        self.reason = reason
    }
}

/// Model token usage attributed to the call.
public struct Cost: Sendable, Hashable {
    public var inputTokens: Double? = nil
    public var outputTokens: Double? = nil

    /// A blank value for decoders to fill in; not valid until they have.
    @inlinable
    public init() {}

    @inlinable
    public init(inputTokens: Double? = nil, outputTokens: Double? = nil) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }
}
