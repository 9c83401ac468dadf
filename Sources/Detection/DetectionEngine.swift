import AuditEvent

/// The detection engine: event-time sliding windows and busy-window
/// baselines per member, member x tool, tool and tenant, and the seven
/// detectors over them. Pure: no I/O, no clock; the same events in the same
/// order give the same alerts, byte for byte, whether the engine ran in one
/// go or was snapshotted and restored in between.
///
/// One engine serves one Kafka partition: members are keyed to partitions,
/// so their state moves with the partition; tool and tenant baselines see
/// that partition's share of the traffic.
public struct DetectionEngine: Sendable {
    public struct Statistics: Sendable, Hashable {
        public var events = 0
        /// Older than the watermark: not added to windows.
        public var late = 0
        /// Not tracked because a key cap was reached, or not a call.
        public var untracked = 0
        public var alerts = 0
        public var alertsByDetector: [Detector: Int] = [:]
        public var evictedMembers = 0
        public var evictedPairs = 0
        public init() {}
    }

    public let settings: DetectionSettings
    public internal(set) var statistics = Statistics()
    /// Newest event time seen (microseconds), and the watermark behind it.
    public internal(set) var newest: Int64 = .min
    public var watermark: Int64 { newest == .min ? .min : newest - lateness }

    let window: Int64
    /// The spike detector's longer window: bursts are judged over minutes,
    /// not seconds (an agent's normal burst fills a minute).
    let slowWindow: Int64
    let lateness: Int64
    let evidencePerMember: Int
    var lastSweepHour: Int64 = .min

    var memberIndex: [NameKey: Int32] = [:]
    var members: [MemberState] = []
    var memberNames: [String] = []
    var freeMembers: [Int32] = []
    /// 24 counters per member: calls by hour of day (UTC), saturating.
    var hours: [UInt16] = []
    /// 7 counters per member: calls by day of the week (UTC), saturating.
    var weekdays: [UInt16] = []
    /// One quiet-until bucket per member and detector.
    var quiet: [Int32] = []
    /// `evidencePerMember` newest event ids per member, a ring.
    var evidence: [String] = []
    /// Per member, a 2,048-bit filter of the resources it has touched: a
    /// resource is new while its bit is clear (a collision reads "seen", so
    /// a heavy member's new resources are undercounted, never invented).
    var seenResources: [UInt64] = []
    static let resourceWords = 32

    var pairIndex: [Int64: Int32] = [:]
    var pairs: [CountState] = []
    var freePairs: [Int32] = []

    var toolIndex: [NameKey: Int32] = [:]
    var tools: [ToolState] = []
    var toolNames: [String] = []
    var tenantIndex: [NameKey: Int32] = [:]
    var tenants: [CountState] = []
    var tenantNames: [String] = []
    /// Per tenant: the hour of the latest quiet-hours session that reached
    /// the off-hours threshold, and how many members had one then.
    var tenantQuiet: [(hour: Int64, members: UInt16)] = []
    /// The same for runs of unusually large results (a team's quarter-end export).
    var tenantLarge: [(hour: Int64, members: UInt16)] = []

    public init(settings: DetectionSettings = DetectionSettings()) {
        self.settings = settings
        window = Int64(settings.windowSeconds) * 1_000_000
        slowWindow = Int64(Swift.max(settings.spike.windowSeconds, settings.windowSeconds)) * 1_000_000
        lateness = Int64(settings.allowedLatenessSeconds) * 1_000_000
        evidencePerMember = Swift.max(1, settings.maxEvidence)
    }

    /// Keys tracked now.
    public var trackedMembers: Int { memberIndex.count }
    public var trackedPairs: Int { pairIndex.count }
    public var trackedTools: Int { toolIndex.count }
    public var trackedTenants: Int { tenantIndex.count }

    /// Feeds one event; returns the alerts it raised (usually none).
    public mutating func process(_ event: AuditEvent) -> [Alert] {
        statistics.events += 1
        guard event.kind.isMCPCall else {
            statistics.untracked += 1
            return []
        }
        let time = event.occurredAt.microsecondsSinceEpoch
        if time > newest {
            newest = time
            sweepIfDue()
        } else if time < watermark {
            statistics.late += 1
            return []
        }
        guard let tenant = intern(tenant: event.tenantID ?? ""),
            let tool = intern(
                tool: event.target.tool ?? event.target.method ?? event.kind.rawValue,
                server: event.target.serverID,
                at: time
            ),
            let member = intern(member: event.actor.id, tenant: tenant, at: time),
            let pair = intern(pair: member, tool, at: time)
        else {
            statistics.untracked += 1
            return []
        }
        var context = Context(
            event: event,
            time: time,
            bucket: Int32(clamping: time / window),
            fraction: Float(time % window) / Float(window),
            member: member,
            tool: tool,
            tenant: tenant,
            pair: pair
        )
        if time % window < 0 { context.fraction += 1 }
        context.slowBucket = Int32(clamping: time / slowWindow)
        context.slowFraction = Float(time % slowWindow) / Float(slowWindow)
        if time % slowWindow < 0 { context.slowFraction += 1 }
        record(&context)
        var alerts: [Alert] = []
        detect(context, into: &alerts)
        if !alerts.isEmpty {
            statistics.alerts += alerts.count
            for alert in alerts { statistics.alertsByDetector[alert.detector, default: 0] += 1 }
        }
        return alerts
    }

    /// Where one event lands in the engine's tables.
    struct Context {
        var event: AuditEvent
        var time: Int64
        var bucket: Int32
        /// How far through its bucket the event is (0..<1).
        var fraction: Float
        var member: Int32
        var tool: Int32
        var tenant: Int32
        var pair: Int32
        /// The spike window's bucket and how far through it the event is.
        var slowBucket: Int32 = 0
        var slowFraction: Float = 0
        /// The member's previous call before this one (.min for a first call).
        var previousSeen: Int64 = .min
        /// Whether the call touched a resource the member never touched before (nil: no resource).
        var newResource: Bool?
    }

    /// Adds the event to every window and profile it belongs to.
    private mutating func record(_ context: inout Context) {
        let alpha = settings.baselineAlpha
        let event = context.event
        let m = Int(context.member)
        members[m].advance(to: context.bucket, alpha: alpha)
        // A late-but-allowed event of an earlier bucket counts in the current one.
        context.bucket = Swift.max(context.bucket, members[m].bucket)
        context.previousSeen = members[m].events == 0 ? .min : members[m].lastSeen
        members[m].events &+= 1
        members[m].lastSeen = Swift.max(members[m].lastSeen, context.time)
        if let resource = event.target.resourceURI {
            let hash = stableHash(resource)
            let bit = Int(hash >> 53)  // 11 bits: one of 2,048
            let word = m * Self.resourceWords + bit >> 6
            let mask = UInt64(1) << UInt64(bit & 63)
            context.newResource = seenResources[word] & mask == 0
            seenResources[word] |= mask
        }
        members[m].tools.current.insert(hash: UInt64(UInt32(bitPattern: context.tool)) &* 0x9E37_79B9_7F4A_7C15)
        let slot = m * evidencePerMember + Int(members[m].evidenceNext)
        evidence[slot] = event.eventID
        members[m].evidenceNext = UInt8((Int(members[m].evidenceNext) + 1) % evidencePerMember)

        let slowAlpha = settings.spike.baselineAlpha
        let slowBucket = context.slowBucket
        var slowBaseline = members[m].slowBaseline
        members[m].slow.advance(to: slowBucket) { slowBaseline.add($0, alpha: slowAlpha) }
        members[m].slowBaseline = slowBaseline
        members[m].slow.add(1)
        let time = context.time
        pairs[Int(context.pair)].record(slowBucket: slowBucket, at: time, slowAlpha: slowAlpha)
        tools[Int(context.tool)].calls.record(slowBucket: slowBucket, at: time, slowAlpha: slowAlpha)
        tenants[Int(context.tenant)].record(slowBucket: slowBucket, at: time, slowAlpha: slowAlpha)
    }

    /// The member's newest event ids, newest first.
    func evidence(of member: Int32) -> [String] {
        let base = Int(member) * evidencePerMember
        let next = Int(members[Int(member)].evidenceNext)
        var ids: [String] = []
        ids.reserveCapacity(evidencePerMember)
        for step in 1...evidencePerMember {
            let id = evidence[base + (next - step + evidencePerMember) % evidencePerMember]
            if !id.isEmpty { ids.append(id) }
        }
        return ids
    }
}

extension EventKind {
    /// Calls the detectors judge: tool calls, resource reads, prompts, lists.
    var isMCPCall: Bool {
        switch self {
        case .toolCall, .resourceRead, .promptGet, .list: true
        default: false
        }
    }
}

/// A name as a dictionary key, hashed once with ``stableHash(_:seed:)``:
/// Swift's String hashing costs several hundred instructions per lookup,
/// three lookups per event. The hasher still mixes the 64-bit value with
/// the process's seed.
struct NameKey: Hashable, Sendable {
    let name: String
    let hash: UInt64

    init(_ name: String) {
        self.name = name
        hash = stableHash(name)
    }

    static func == (a: NameKey, b: NameKey) -> Bool { a.hash == b.hash && a.name == b.name }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}
