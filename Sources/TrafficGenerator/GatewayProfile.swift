/// What one gateway product records about a call. Full gateways log phase,
/// session, agent and argument digests; thin proxies log little beyond who
/// called what and how it ended, so real streams mix rich and lean events.
public struct GatewayProfile: Sendable, Hashable {
    public var name: String
    /// How the product names its instances (`hangar-3`).
    public var instancePrefix: String
    public var version: String?
    public var recordsPhase: Bool
    public var recordsSession: Bool
    public var recordsAgent: Bool
    /// Argument digest, argument keys and argument size.
    public var recordsArguments: Bool
    public var recordsSourceIP: Bool

    public init(
        name: String,
        instancePrefix: String,
        version: String? = nil,
        recordsPhase: Bool,
        recordsSession: Bool,
        recordsAgent: Bool,
        recordsArguments: Bool,
        recordsSourceIP: Bool
    ) {
        self.name = name
        self.instancePrefix = instancePrefix
        self.version = version
        self.recordsPhase = recordsPhase
        self.recordsSession = recordsSession
        self.recordsAgent = recordsAgent
        self.recordsArguments = recordsArguments
        self.recordsSourceIP = recordsSourceIP
    }

    /// One profile per tenant, in turn: a tenant runs one gateway product.
    public static let standard: [GatewayProfile] = [
        GatewayProfile(
            name: "mcp-hangar",
            instancePrefix: "hangar",
            version: "2.13.0",
            recordsPhase: true,
            recordsSession: true,
            recordsAgent: true,
            recordsArguments: true,
            recordsSourceIP: false
        ),
        GatewayProfile(
            name: "agentgateway",
            instancePrefix: "agw",
            recordsPhase: false,
            recordsSession: false,
            recordsAgent: false,
            recordsArguments: false,
            recordsSourceIP: true
        ),
        GatewayProfile(
            name: "mcpnest",
            instancePrefix: "nest",
            recordsPhase: true,
            recordsSession: true,
            recordsAgent: true,
            recordsArguments: false,
            recordsSourceIP: false
        ),
        GatewayProfile(
            name: "contextforge",
            instancePrefix: "cf",
            version: "0.9.1",
            recordsPhase: false,
            recordsSession: true,
            recordsAgent: false,
            recordsArguments: true,
            recordsSourceIP: false
        ),
    ]
}
