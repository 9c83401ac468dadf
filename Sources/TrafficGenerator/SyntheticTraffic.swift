import AuditEvent

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic `mcp.audit/1` traffic: a population of members in tenants,
/// each calling a few favourite tools, with realistic result sizes, errors
/// and denials. The same seed and index always give the same event.
public struct SyntheticTraffic: Sendable {
    public struct Member: Sendable, Hashable {
        public var id: String
        public var tenant: String
        public var agent: String
        /// The gateway the member's tenant runs.
        public var gateway: GatewayProfile
        public var sourceIP: String
        /// Indices into the tool catalogue, most used first.
        public var favouriteTools: [Int]
    }

    public let seed: UInt64
    public let tools: [ToolProfile]
    public let members: [Member]
    /// Event time of event 0; later events advance by `spacingMicroseconds`.
    public let start: Timestamp
    public let spacingMicroseconds: Int64
    private let cumulativeWeights: [Double]

    private static let agents = ["claude-desktop", "cursor", "copilot-agent", "internal-bot"]

    public init(
        seed: UInt64,
        tenants: Int = 4,
        membersPerTenant: Int = 50,
        tools: [ToolProfile] = ToolProfile.standard,
        gateways: [GatewayProfile] = GatewayProfile.standard,
        start: Timestamp = Timestamp(microsecondsSinceEpoch: 1_787_220_000_000_000),
        spacingMicroseconds: Int64 = 10_000
    ) {
        precondition(
            tenants > 0 && membersPerTenant > 0 && !tools.isEmpty && !gateways.isEmpty,
            "a population needs members, tools and gateways"
        )
        self.seed = seed
        self.tools = tools
        self.start = start
        self.spacingMicroseconds = spacingMicroseconds
        var total = 0.0
        cumulativeWeights = tools.map { tool in
            total += tool.weight
            return total
        }
        var random = SplitMix64(seed: seed)
        var members: [Member] = []
        for t in 0..<tenants {
            let tenant = ["acme", "globex", "initech", "umbrella", "hooli", "stark"][t % 6] + (t >= 6 ? "-\(t)" : "")
            for m in 0..<membersPerTenant {
                let favourites = (0..<3).map { _ in Int(random.next() % UInt64(tools.count)) }
                members.append(
                    Member(
                        id: "member-\(m)@\(tenant).example",
                        tenant: tenant,
                        agent: Self.agents[Int(random.next() % UInt64(Self.agents.count))],
                        gateway: gateways[t % gateways.count],
                        sourceIP: "10.\(t).\(m / 200).\(m % 200 + 10)",
                        favouriteTools: favourites
                    )
                )
            }
        }
        self.members = members
    }

    /// The event at position `index` of the stream.
    public func event(at index: Int) -> AuditEvent {
        var random = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD6E8_FEB8_6659_FD93))
        let member = members[Int(random.next() % UInt64(members.count))]
        let toolIndex =
            random.next() % 10 < 7
            ? member.favouriteTools[Int(random.next() % UInt64(member.favouriteTools.count))]
            : weightedTool(&random)
        let tool = tools[toolIndex]
        let roll = Double(random.next() % 10_000) / 10_000
        let denied = roll < 0.01
        let failed = !denied && roll < 0.01 + tool.errorRate
        let status: OutcomeStatus = denied ? .denied : (failed ? .toolError : .success)
        // Log-normal-ish sizes: the median times e^(N(0,1)) from a sum of uniforms.
        let spread = (0..<4).reduce(0.0) { acc, _ in acc + Double(random.next() % 1000) / 1000 } - 2
        let resultBytes = denied ? 0 : Int64(tool.medianResultBytes * exp(spread))
        let duration = Double(20 + random.next() % 900) + Double(random.next() % 10) / 10

        let gateway = member.gateway
        let eventID = random.uuid()
        let instance = "\(gateway.instancePrefix)-\(random.next() % 8)"
        let session = gateway.recordsSession ? Session(id: "s-\(random.hex(count: 8))") : Session()
        let request =
            gateway.recordsArguments
            ? Request(
                argsSHA256: SHA256Digest(
                    high: random.next(),
                    midHigh: random.next(),
                    midLow: random.next(),
                    low: random.next()
                ),
                argKeys: tool.argKeys,
                argsBytes: Int64(40 + random.next() % 800)
            ) : Request()
        return AuditEvent(
            eventID: eventID,
            kind: .toolCall,
            phase: gateway.recordsPhase ? .final : nil,
            occurredAt: Timestamp(
                microsecondsSinceEpoch: start.microsecondsSinceEpoch + Int64(index) * spacingMicroseconds
            ),
            durationMs: duration,
            source: Source(gateway: gateway.name, instanceID: instance, version: gateway.version),
            tenantID: member.tenant,
            actor: Actor(
                id: member.id,
                type: .user,
                agentID: gateway.recordsAgent ? member.agent : nil,
                sourceIP: gateway.recordsSourceIP ? member.sourceIP : nil
            ),
            session: session,
            target: Target(serverID: tool.server, method: tool.method, tool: tool.tool),
            request: request,
            outcome: Outcome(
                status: status,
                resultBytes: resultBytes,
                errorType: failed ? "ToolExecutionError" : nil,
                httpStatus: denied ? 403 : nil
            ),
            policy: denied ? Policy(decision: .deny, ruleID: "no-\(tool.server)") : Policy()
        )
    }

    /// The JSON bytes of event `index`, as a gateway would publish them.
    public func message(at index: Int) -> [UInt8] {
        event(at: index).jsonBytes()
    }

    private func weightedTool(_ random: inout SplitMix64) -> Int {
        let pick = Double(random.next() % 1_000_000) / 1_000_000 * cumulativeWeights[cumulativeWeights.count - 1]
        return cumulativeWeights.firstIndex { pick < $0 } ?? (tools.count - 1)
    }
}
