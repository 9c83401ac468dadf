import AuditEvent

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic `mcp.audit/1` traffic: a population of members in tenants,
/// each calling a few favourite tools in their own working hours and at
/// their own pace, with realistic result sizes, errors and denials. The same
/// seed and index always give the same event.
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
        /// First working hour (UTC) and how many hours the member works;
        /// 24 for automation that runs around the clock.
        public var firstHour: Int
        public var hourCount: Int
        /// Relative call rate while working (1 light, 2 steady, 4 heavy).
        public var pace: Int

        /// Whether the member works during this hour of the day (UTC).
        public func isActive(atHour hour: Int) -> Bool {
            ((hour - firstHour) % 24 + 24) % 24 < hourCount
        }
    }

    public let seed: UInt64
    public let tools: [ToolProfile]
    public let members: [Member]
    /// Event time of event 0; later events advance by `spacingMicroseconds`.
    public let start: Timestamp
    public let spacingMicroseconds: Int64
    private let cumulativeWeights: [Double]
    /// Per hour of the day, member indices repeated by pace: who calls then.
    private let activeByHour: [[Int32]]

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
            // Each tenant sits in its own time zone: its working day starts at a different UTC hour.
            let tenantMorning = [8, 13, 0, 16, 4, 20][t % 6]
            for m in 0..<membersPerTenant {
                let favourites = (0..<3).map { _ in Int(random.next() % UInt64(tools.count)) }
                let agent = Self.agents[Int(random.next() % UInt64(Self.agents.count))]
                // Automation runs around the clock; people work 7 to 10 hours from a personal start time.
                let automated = agent == "internal-bot"
                let firstHour = (tenantMorning + Int(random.next() % 4)) % 24
                let hourCount = automated ? 24 : 7 + Int(random.next() % 4)
                members.append(
                    Member(
                        id: "member-\(m)@\(tenant).example",
                        tenant: tenant,
                        agent: agent,
                        gateway: gateways[t % gateways.count],
                        sourceIP: "10.\(t).\(m / 200).\(m % 200 + 10)",
                        favouriteTools: favourites,
                        firstHour: firstHour,
                        hourCount: hourCount,
                        pace: [1, 2, 2, 4][Int(random.next() % 4)]
                    )
                )
            }
        }
        self.members = members
        activeByHour = (0..<24).map { hour in
            var active: [Int32] = []
            for (index, member) in members.enumerated() where member.isActive(atHour: hour) {
                active += repeatElement(Int32(index), count: member.pace)
            }
            // Some hour may have nobody at work: then everyone's automation would be idle
            // too, which no real deployment shows; fall back to the whole population.
            return active.isEmpty ? members.indices.map { Int32($0) } : active
        }
    }

    /// Event time of steady event `index`.
    public func time(at index: Int) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: start.microsecondsSinceEpoch + Int64(index) * spacingMicroseconds)
    }

    /// The hour of the day (UTC) of a time.
    public static func hour(of time: Timestamp) -> Int {
        Int((time.microsecondsSinceEpoch / 3_600_000_000) % 24 + 24) % 24
    }

    /// Indices of the members at work during this hour of the day (UTC), each once.
    public func activeMembers(atHour hour: Int) -> [Int] {
        members.indices.filter { members[$0].isActive(atHour: hour) }
    }

    /// The event at position `index` of the stream.
    public func event(at index: Int) -> AuditEvent {
        var random = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD6E8_FEB8_6659_FD93))
        let occurredAt = time(at: index)
        let active = activeByHour[Self.hour(of: occurredAt)]
        let member = members[Int(active[Int(random.next() % UInt64(active.count))])]
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
        // Each member returns to a small working set per server (twelve
        // resources, short names: the dev-broker keeps 5 MB per partition),
        // derived from the size so the random stream is unchanged.
        let slot = ((UInt64(bitPattern: resultBytes) &* 0x9E37_79B9_7F4A_7C15) >> 60) % 12
        let resource = "\(tool.server)://r/\(slot)"
        return AuditEvent(
            eventID: eventID,
            kind: .toolCall,
            phase: gateway.recordsPhase ? .final : nil,
            occurredAt: occurredAt,
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
            target: Target(serverID: tool.server, method: tool.method, tool: tool.tool, resourceURI: resource),
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
