import AuditEvent

/// Steady traffic with incidents planted in it, in event-time order, and the
/// ground truth of each incident. Deterministic for a seed.
///
/// Incidents start at evenly spaced points of the stream; each adds its own
/// events (with fresh event ids) on top of the steady traffic, spread over a
/// window of event time that starts there.
public struct IncidentStream: Sendable, Sequence {
    public let traffic: SyntheticTraffic
    public let count: Int
    public let incidents: [Incident]
    /// Extra events per steady-event index, in the order they go out.
    private let planted: [Int: [AuditEvent]]

    /// `count` steady events and `incidentCount` incidents, cycling through the kinds.
    public init(traffic: SyntheticTraffic, count: Int, incidentCount: Int) {
        self.traffic = traffic
        self.count = count
        var random = SplitMix64(seed: traffic.seed ^ 0x1C1D_E17C)
        var incidents: [Incident] = []
        var planted: [Int: [AuditEvent]] = [:]
        let kinds = Incident.Kind.allCases
        for number in 0..<Swift.max(incidentCount, 0) where count > 0 {
            let at = Int(Double(number + 1) / Double(incidentCount + 1) * Double(count))
            let kind = kinds[number % kinds.count]
            let base = traffic.event(at: at)
            let member = IncidentStream.pickMember(for: kind, at: base.occurredAt, traffic: traffic, random: &random)
            let (incident, events) = IncidentStream.plant(
                kind,
                member: member,
                from: base,
                traffic: traffic,
                random: &random
            )
            incidents.append(incident)
            // Each extra event goes out just after the steady event of the same time.
            for event in events {
                let index = Swift.min(
                    count - 1,
                    at
                        + Int(
                            (event.occurredAt.microsecondsSinceEpoch - base.occurredAt.microsecondsSinceEpoch)
                                / traffic.spacingMicroseconds
                        )
                )
                planted[index, default: []].append(event)
            }
        }
        self.incidents = incidents
        self.planted = planted
    }

    /// Every event of the stream, steady and planted, in order, made as it goes.
    public struct Iterator: IteratorProtocol {
        let stream: IncidentStream
        var index = 0
        var pending: ArraySlice<AuditEvent> = []

        public mutating func next() -> AuditEvent? {
            if let event = pending.popFirst() { return event }
            guard index < stream.count else { return nil }
            defer { index += 1 }
            pending = stream.planted[index].map { $0[...] } ?? []
            return stream.traffic.event(at: index)
        }
    }

    public func makeIterator() -> Iterator { Iterator(stream: self) }

    /// The total number of events, planted ones included.
    public var totalCount: Int { count + planted.values.reduce(0) { $0 + $1.count } }

    /// A person off work (and an hour away from work) for an off-hours incident; someone at work for the
    /// others, so that each incident is only what its label says.
    private static func pickMember(
        for kind: Incident.Kind,
        at time: Timestamp,
        traffic: SyntheticTraffic,
        random: inout SplitMix64
    ) -> SyntheticTraffic.Member {
        let hour = SyntheticTraffic.hour(of: time)
        let active = Set(traffic.activeMembers(atHour: hour))
        let candidates =
            kind == .offHours
            ? traffic.members.indices.filter { index in
                // At least an hour away from the member's working day on either side.
                let member = traffic.members[index]
                return member.hourCount < 24 && !active.contains(index)
                    && !member.isActive(atHour: (hour + 23) % 24) && !member.isActive(atHour: (hour + 1) % 24)
            }
            : Array(active)
        let pool = candidates.isEmpty ? Array(traffic.members.indices) : candidates.sorted()
        return traffic.members[pool[Int(random.next() % UInt64(pool.count))]]
    }

    private static func plant(
        _ kind: Incident.Kind,
        member: SyntheticTraffic.Member,
        from base: AuditEvent,
        traffic: SyntheticTraffic,
        random: inout SplitMix64
    ) -> (Incident, [AuditEvent]) {
        let start = base.occurredAt.microsecondsSinceEpoch
        func event(
            after micros: Int64,
            tool: ToolProfile,
            status: OutcomeStatus = .success,
            resultBytes: Int64? = nil,
            resource: String? = nil,
            argsBytes: Int64? = nil
        ) -> AuditEvent {
            var event = base
            event.raw = []
            event.eventID = random.uuid()
            event.occurredAt = Timestamp(microsecondsSinceEpoch: start + micros)
            event.tenantID = member.tenant
            event.actor = Actor(id: member.id, type: .user, agentID: member.agent)
            event.target = Target(serverID: tool.server, method: tool.method, tool: tool.tool, resourceURI: resource)
            event.outcome = Outcome(
                status: status,
                resultBytes: status == .success ? (resultBytes ?? Int64(tool.medianResultBytes)) : 0,
                httpStatus: status == .denied ? 403 : (status == .rateLimited ? 429 : nil)
            )
            event.policy = status == .denied ? Policy(decision: .deny, ruleID: "incident") : Policy()
            if let argsBytes { event.request.argsBytes = argsBytes }
            return event
        }
        func tool(_ name: String) -> ToolProfile { traffic.tools.first { $0.tool == name } ?? traffic.tools[0] }
        let second: Int64 = 1_000_000
        var events: [AuditEvent] = []
        var toolName: String?
        switch kind {
        case .spike:
            let target = traffic.tools[member.favouriteTools[0]]
            toolName = target.tool
            events = (0..<300).map { event(after: Int64($0) * second / 5, tool: target) }
        case .exfiltration:
            let target = tool("export_document")
            toolName = target.tool
            events = (0..<25).map {
                event(after: Int64($0) * 2 * second, tool: target, resultBytes: 50_000_000 + Int64($0) * 1_000)
            }
        case .breadth:
            // Enumeration at an ordinary pace: the member's own main tool,
            // every call on something never touched before.
            let target = traffic.tools[member.favouriteTools[0]]
            toolName = target.tool
            events = (0..<40).map {
                event(
                    after: Int64($0) * 30 * second,
                    tool: target,
                    resource: "\(target.server)://\(member.tenant)/archive/\($0)-\(random.hex(count: 6))"
                )
            }
        case .readThenSend:
            // The bytes flow: the send carries about what the read returned.
            let read = tool("run_query")
            let send = tool("send_email")
            toolName = send.tool
            events = [
                event(after: 0, tool: read, resultBytes: 3_000_000),
                event(after: 90 * second, tool: send, argsBytes: 2_900_000),
            ]
        case .probing:
            let statuses: [OutcomeStatus] = [.denied, .rateLimited, .toolError, .denied]
            events = (0..<60).map { index in
                event(
                    after: Int64(index) * second / 4,
                    tool: traffic.tools[index % traffic.tools.count],
                    status: statuses[index % statuses.count]
                )
            }
        case .firstSeen:
            let rare = ToolProfile(
                server: "aws",
                tool: "iam_create_access_key",
                weight: 0,
                medianResultBytes: 300,
                errorRate: 0,
                argKeys: ["user"]
            )
            toolName = rare.tool
            events = (0..<3).map { event(after: Int64($0) * 10 * second, tool: rare) }
        case .offHours:
            // An ordinary session of the member's usual tools, at an hour they never work.
            events = (0..<20).map { index in
                let favourite = traffic.tools[member.favouriteTools[index % member.favouriteTools.count]]
                return event(after: Int64(index) * 30 * second, tool: favourite)
            }
        }
        let end = events.map(\.occurredAt).max() ?? base.occurredAt
        return (
            Incident(
                kind: kind,
                actor: member.id,
                tenant: member.tenant,
                tool: toolName,
                start: base.occurredAt,
                end: end
            ),
            events
        )
    }
}
