/// Provenance at the gateway.
public struct Source: Sendable, Hashable {
    /// The gateway product (`mcp-hangar`, `mcpnest`, `agentgateway`, ...); open-ended.
    public var gateway: String = ""
    public var instanceID: String? = nil
    public var version: String? = nil
    public var originalType: String? = nil
    public var originalID: String? = nil

    /// A blank value for decoders to fill in; not valid until they have.
    @inlinable
    public init() {}

    @inlinable
    public init(
        gateway: String,
        instanceID: String? = nil,
        version: String? = nil,
        originalType: String? = nil,
        originalID: String? = nil
    ) {
        self.gateway = gateway
        self.instanceID = instanceID
        self.version = version
        self.originalType = originalType
        self.originalID = originalID
    }
}

/// The member who made the call; per-member baselines key on `id`.
public struct Actor: Sendable, Hashable {
    /// The member id, `anonymous` when the gateway did not know.
    public var id: String = ""
    public var type: ActorType? = nil
    public var display: String? = nil
    public var agentID: String? = nil
    public var roles: [String]? = nil
    /// A token id, never a secret.
    public var credentialID: String? = nil
    public var clientName: String? = nil
    public var clientVersion: String? = nil
    public var sourceIP: String? = nil
    public var userAgent: String? = nil

    /// A blank value for decoders to fill in; not valid until they have.
    @inlinable
    public init() {}

    @inlinable
    public init(
        id: String,
        type: ActorType? = nil,
        display: String? = nil,
        agentID: String? = nil,
        roles: [String]? = nil,
        credentialID: String? = nil,
        clientName: String? = nil,
        clientVersion: String? = nil,
        sourceIP: String? = nil,
        userAgent: String? = nil
    ) {
        self.id = id
        self.type = type
        self.display = display
        self.agentID = agentID
        self.roles = roles
        self.credentialID = credentialID
        self.clientName = clientName
        self.clientVersion = clientVersion
        self.sourceIP = sourceIP
        self.userAgent = userAgent
    }
}

/// Session and tracing identifiers.
public struct Session: Sendable, Hashable {
    public var id: String? = nil
    public var correlationID: String? = nil
    public var requestID: String? = nil
    public var traceID: String? = nil
    public var spanID: String? = nil

    /// A blank value for decoders to fill in; not valid until they have.
    @inlinable
    public init() {}

    @inlinable
    public init(
        id: String? = nil,
        correlationID: String? = nil,
        requestID: String? = nil,
        traceID: String? = nil,
        spanID: String? = nil
    ) {
        self.id = id
        self.correlationID = correlationID
        self.requestID = requestID
        self.traceID = traceID
        self.spanID = spanID
    }
}
