import AuditEvent

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The seven detectors, run after each event is recorded. Statistical ones
/// compare a sliding-window value with the key's busy-window baseline; rule
/// ones (read-then-send, first-seen, off-hours) look at the member's history.
extension DetectionEngine {
    mutating func detect(_ c: Context, into alerts: inout [Alert]) {
        // Fields are read in place: copying a member (or the settings, which
        // hold sets) per event would cost more than the detectors themselves.
        let m = Int(c.member)
        let warm = UInt16(clamping: settings.warmupWindows)
        if settings.spike.enabled { detectSpikes(c, into: &alerts) }
        if settings.exfiltration.enabled { detectExfiltration(c, into: &alerts) }
        if settings.breadth.enabled {
            detectNewResources(c, into: &alerts)
            let member = members[m]
            let tools = member.tools.current.union(member.tools.previous).estimate
            if tools >= settings.breadth.minTools, member.toolsBaseline.samples >= warm {
                let z = member.toolsBaseline.score(tools, floor: 2)
                if z >= settings.breadth.threshold {
                    raise(
                        .breadth,
                        .member,
                        c,
                        observed: tools,
                        baseline: member.toolsBaseline,
                        z: z,
                        threshold: settings.breadth.threshold,
                        into: &alerts
                    )
                }
            }
        }
        if settings.probing.enabled { detectProbing(c, into: &alerts) }
        if settings.readThenSend.enabled { detectReadThenSend(c, into: &alerts) }
        if settings.firstSeen.enabled { detectFirstSeen(c, into: &alerts) } else { markToolSeen(c) }
        if settings.offHours.enabled { detectOffHours(c, into: &alerts) }
        let hour = Int((c.time / 3_600_000_000) % 24 + 24) % 24
        let slot = m * 24 + hour
        if hours[slot] < .max { hours[slot] += 1 }
        // The shift costs 24 sines and cosines: refreshed every 64 calls.
        if members[m].events & 63 == 1 { members[m].dayShiftMinutes = Int16(dayShift(m) / 60_000_000) }
        let day = m * 7 + Self.weekday(c.time + Int64(members[m].dayShiftMinutes) * 60_000_000)
        if weekdays[day] < .max { weekdays[day] += 1 }
    }

    /// Results far larger than this member usually gets from this tool: a
    /// call counts as large at `threshold` scores and `minRatio` times above
    /// the pair's typical size; `minCalls` large calls within `runMinutes`
    /// returning `minBytes` in all alert. Large calls are not learnt (a leak
    /// must not become the baseline) until a run passes 20 calls.
    private mutating func detectExfiltration(_ c: Context, into alerts: inout [Alert]) {
        let s = settings.exfiltration
        guard c.event.outcome.status == .success, let bytes = c.event.outcome.resultBytes, bytes > 0 else { return }
        let p = Int(c.pair)
        let value = log1pf(Float(bytes))
        let size = pairs[p].size
        if Int(size.samples) >= s.warmupCalls {
            let z = size.score(value, floor: 0.5, counts: false)
            let typical = expm1f(size.mean)
            if z >= s.threshold, Float(bytes) >= s.minRatio * Swift.max(typical, 1) {
                let run = Int64(s.runMinutes) * 60_000_000
                if pairs[p].largeSince == .min || c.time - pairs[p].largeSince > run {
                    pairs[p].largeSince = c.time
                    pairs[p].largeCalls = 0
                    pairs[p].largeBytes = 0
                }
                pairs[p].largeCalls &+= 1
                pairs[p].largeBytes &+= bytes
                if Int(pairs[p].largeCalls) >= s.minCalls, Float(pairs[p].largeBytes) >= s.minBytes,
                    Self.teamQuiet(
                        &tenantLarge,
                        c,
                        limit: s.maxMembersAtOnce,
                        first: Int(pairs[p].largeCalls) == s.minCalls
                    )
                {
                    raiseRule(
                        .exfiltration,
                        .memberTool,
                        c,
                        observed: Double(pairs[p].largeBytes),
                        score: Double(Swift.min(1, 0.5 + z / 20)),
                        windowStart: pairs[p].largeSince,
                        mean: Double(typical),
                        into: &alerts
                    )
                }
                if pairs[p].largeCalls <= 20 { return }
            }
        }
        pairs[p].size.add(value, alpha: 0.05)
    }

    /// Breadth: a run of calls of one tool on resources the member never
    /// touched before, for a member x tool pair that usually returns to the
    /// same ones (enumeration of buckets, tables, repositories at an
    /// ordinary pace; a mail search that finds new messages every time
    /// has a high share of new resources and is not news).
    private mutating func detectNewResources(_ c: Context, into alerts: inout [Alert]) {
        guard let fresh = c.newResource else { return }
        let s = settings.breadth
        let p = Int(c.pair)
        let share = pairs[p].freshShare
        pairs[p].freshRun = fresh ? pairs[p].freshRun &+ 1 : pairs[p].freshRun.subtractingClamped(2)
        let warm = Int(members[Int(c.member)].events) > settings.firstSeen.warmupEvents && share.samples >= 20
        // How long a run must be to be this unlikely by chance for this
        // pair: a member who often opens new files needs a longer one.
        let chance = Double(Swift.min(Swift.max(share.mean, 0.02), 0.99))
        let needed = Swift.max(Double(s.minResources), (log(s.runChance) / log(chance)).rounded(.up))
        let announced = Double(pairs[p].freshRun) >= needed && Double(pairs[p].freshRun) - 1 < needed
        if fresh, warm, announced, share.mean < s.maxNewShare {
            raiseRule(
                .breadth,
                .memberTool,
                c,
                observed: Double(pairs[p].freshRun),
                score: Double(1 - share.mean),
                windowStart: c.previousSeen == .min ? c.time : c.previousSeen,
                mean: Double(share.mean),
                into: &alerts
            )
        }
        // The long-run share learns slowly and not from a run in progress.
        if Float(pairs[p].freshRun) < s.minResources / 2 { pairs[p].freshShare.add(fresh ? 1 : 0, alpha: 0.02) }
    }

    /// How far to move a member's times so that their working day sits
    /// around noon: the circular mean of their hours. Days are then counted
    /// as the member lives them (a Monday morning in Adelaide is Sunday
    /// evening in UTC), without knowing their time zone.
    func dayShift(_ m: Int) -> Int64 {
        var x = 0.0
        var y = 0.0
        for h in 0..<24 {
            let count = Double(hours[m * 24 + h])
            let angle = Double(h) / 24 * 2 * Double.pi
            x += count * cos(angle)
            y += count * sin(angle)
        }
        guard x != 0 || y != 0 else { return 0 }
        let center = (atan2(y, x) / (2 * Double.pi) * 24 + 24).truncatingRemainder(dividingBy: 24)
        return Int64(((12 - center) * 3_600).rounded()) * 1_000_000
    }

    /// Day of the week in UTC, 0 for Thursday 1970-01-01.
    static func weekday(_ time: Int64) -> Int { Int((time / 86_400_000_000) % 7 + 7) % 7 }

    /// Whether the tenant's other members are not doing the same thing at
    /// the same hour; `first` records this member's run.
    private static func teamQuiet(
        _ table: inout [(hour: Int64, members: UInt16)],
        _ c: Context,
        limit: Int,
        first: Bool
    ) -> Bool {
        let tenant = Int(c.tenant)
        let hour = c.time / 3_600_000_000
        // Within six hours of the tenant's latest such run: the same day's work.
        let sameDay = table[tenant].hour >= hour - 6
        if first {
            if sameDay {
                table[tenant].members &+= 1
                table[tenant].hour = hour
            } else {
                table[tenant] = (hour, 1)
            }
        }
        return Int(table[tenant].members) <= limit || !sameDay
    }

    /// Bursts of calls over the spike window (15 minutes by default),
    /// against each key's own busy windows: a member, a member x tool pair,
    /// a tool, a tenant.
    private mutating func detectSpikes(_ c: Context, into alerts: inout [Alert]) {
        let s = settings.spike
        let f = c.slowFraction
        let member = members[Int(c.member)]
        guard c.time - member.firstSeen >= Int64(s.warmupHours) * 3_600_000_000 else { return }
        let checks: [(Alert.Scope, SlidingCount, Baseline, Float)] = [
            (.member, member.slow, member.slowBaseline, s.minCountMember),
            (.memberTool, pairs[Int(c.pair)].slow, pairs[Int(c.pair)].slowBaseline, s.minCountPair),
            (.tool, tools[Int(c.tool)].calls.slow, tools[Int(c.tool)].calls.slowBaseline, s.minCountTool),
            (.tenant, tenants[Int(c.tenant)].slow, tenants[Int(c.tenant)].slowBaseline, s.minCountTenant),
        ]
        // A runaway agent hammers one tool: a member's burst spread over
        // many tools is a busy session, not a loop.
        let memberCalls = member.slow.estimate(at: f)
        let focused = pairs[Int(c.pair)].slow.estimate(at: f) >= s.minFocus * memberCalls
        for (scope, count, baseline, minimum) in checks {
            if !focused && (scope == .member || scope == .memberTool) { continue }
            let calls = count.estimate(at: f)
            guard calls >= minimum, Int(baseline.samples) >= s.warmupWindows, calls >= s.minRatio * baseline.mean
            else { continue }
            let z = baseline.score(calls, floor: 1)
            guard z >= s.threshold else { continue }
            raise(.spike, scope, c, observed: calls, baseline: baseline, z: z, threshold: s.threshold, into: &alerts)
        }
    }

    /// Probing: a run of denied calls (policy says no) within `runMinutes`,
    /// most of the member's calls in that time, from a member who is seldom
    /// denied. Tool errors do not count: a flaky upstream is not an attacker.
    private mutating func detectProbing(_ c: Context, into alerts: inout [Alert]) {
        let s = settings.probing
        let m = Int(c.member)
        let denied = c.event.policy.decision == .deny || c.event.outcome.status == .denied
        let run = Int64(s.runMinutes) * 60_000_000
        if members[m].deniedSince == .min || c.time - members[m].deniedSince > run {
            if !denied {
                members[m].deniedShare.add(0, alpha: 0.01)
                return
            }
            members[m].deniedSince = c.time
            members[m].deniedRun = 0
            members[m].deniedCalls = 0
        }
        members[m].deniedCalls &+= 1
        if denied { members[m].deniedRun &+= 1 }
        let usual = members[m].deniedShare
        // The usual share learns from calls outside long runs only.
        if Float(members[m].deniedRun) < s.minFailures / 2 { members[m].deniedShare.add(denied ? 1 : 0, alpha: 0.01) }
        guard denied, Float(members[m].deniedRun) == s.minFailures.rounded(),
            Float(members[m].deniedRun) >= s.minFailureRatio * Float(members[m].deniedCalls),
            // A member seen for fewer than 50 calls has no usual share yet
            // (a stolen credential's first calls may be the probing).
            usual.samples < 50 || usual.mean < s.maxUsualShare
        else { return }
        raiseRule(
            .probing,
            .member,
            c,
            observed: Double(members[m].deniedRun),
            score: Double(Swift.min(1, 0.5 + Float(members[m].deniedRun) / Float(members[m].deniedCalls) / 2)),
            windowStart: members[m].deniedSince,
            mean: Double(usual.mean),
            into: &alerts
        )
    }

    /// Data read, then sent out: a large read from a sensitive tool, then
    /// within `withinSeconds` a call that can carry data outside whose
    /// arguments hold at least half of what was read (the bytes flow; a
    /// chat message after a report is not a leak, the report's size is).
    private mutating func detectReadThenSend(_ c: Context, into alerts: inout [Alert]) {
        let s = settings.readThenSend
        let m = Int(c.member)
        let ok = c.event.outcome.status == .success
        let tool = tools[Int(c.tool)]
        let within = Int64(s.withinSeconds) * 1_000_000
        if tool.outbound || tool.toolClass == .write && !tool.local, ok, members[m].lastSensitiveRead != .min {
            let gap = c.time - members[m].lastSensitiveRead
            let sent = c.event.request.argsBytes ?? 0
            let read = members[m].lastReadBytes
            if gap >= 0, gap <= within, sent >= s.minReadBytes / 2, sent * 2 >= read {
                let closeness = 1 - Double(gap) / Double(within)
                raiseRule(
                    .readThenSend,
                    .memberTool,
                    c,
                    observed: Double(sent),
                    score: 0.5 + closeness / 2,
                    windowStart: members[m].lastSensitiveRead,
                    mean: Double(read),
                    into: &alerts
                )
            }
        }
        let bytes = c.event.outcome.resultBytes ?? 0
        if tool.toolClass == .sensitiveRead, ok, bytes >= s.minReadBytes {
            let recent = members[m].lastSensitiveRead != .min && c.time - members[m].lastSensitiveRead <= within
            members[m].lastReadBytes = recent ? Swift.max(members[m].lastReadBytes, bytes) : bytes
            members[m].lastSensitiveRead = c.time
        }
    }

    /// A member's first call of a privileged tool: an admin tool (keys,
    /// users, roles, shells) for a member who never used one, or a
    /// high-impact one (refunds, payments, deployments, secrets, dropping
    /// data) the member never called, while few members have. Other new
    /// tools are not news: a tool rolled out to a team is everyone's first use.
    private mutating func detectFirstSeen(_ c: Context, into alerts: inout [Alert]) {
        let s = settings.firstSeen
        let m = Int(c.member)
        let tool = tools[Int(c.tool)]
        let admin = tool.toolClass == .admin
        let server = stableHash(c.event.target.serverID ?? "")
        let newServer = c.event.target.serverID != nil && !members[m].hasSeen(server: server)
        defer {
            if admin { members[m].usedAdmin = true }
            members[m].markSeen(server: server)
        }
        guard !members[m].hasSeen(tool: c.tool) else { return }
        let users = Int(tool.members)
        let warm = Int(members[m].events) > s.warmupEvents
        // A high-impact tool on a server the member never used: a refund
        // by someone who never touched the payment system.
        let news = admin ? !members[m].usedAdmin : tool.highImpact && newServer
        if warm && news {
            raiseRule(
                .firstSeen,
                .memberTool,
                c,
                observed: Double(users),
                score: admin ? 1 : 0.8,
                windowStart: members[m].firstSeen,
                into: &alerts
            )
        }
        markToolSeen(c)
    }

    private mutating func markToolSeen(_ c: Context) {
        guard !members[Int(c.member)].hasSeen(tool: c.tool) else { return }
        members[Int(c.member)].markSeen(tool: c.tool)
        tools[Int(c.tool)].members &+= 1
    }

    /// A session at hours the member is never active. An hour is quiet when
    /// it and `neighbourHours` either side hold no calls of the member's own
    /// profile (in UTC, so any time-zone offset is the member's own); a
    /// session is calls no more than an hour apart that began after an hour
    /// of silence (a working day that runs late is not a new session); it
    /// alerts once `minCalls` of its calls fell at quiet hours (one stray
    /// call is noise, a session is news), unless other members of the
    /// tenant are doing the same (a shift change, an incident night).
    private mutating func detectOffHours(_ c: Context, into alerts: inout [Alert]) {
        let s = settings.offHours
        let m = Int(c.member)
        let gap = Int64(s.sessionGapMinutes) * 60_000_000
        let newSession = c.previousSeen == .min || c.time - c.previousSeen >= gap
        guard Int(members[m].events) > s.warmupEvents,
            c.time - members[m].firstSeen >= Int64(s.warmupHours) * 3_600_000_000
        else { return }
        let hour = Int((c.time / 3_600_000_000) % 24 + 24) % 24
        var profile = 0
        for offset in -s.neighbourHours...s.neighbourHours { profile += Int(hours[m * 24 + (hour + offset + 24) % 24]) }
        // The session's own calls are in the profile already: quiet means
        // nothing else is. A day is quiet for a member with a plain working
        // week (five days with calls, the two days between them without,
        // as seen over six days or more) when it is one of those two days.
        let run = Int(members[m].quietCalls)
        let d = Self.weekday(c.time + Int64(members[m].dayShiftMinutes) * 60_000_000)
        var days = (0..<7).map { Int(weekdays[m * 7 + $0]) }
        days[d] -= Swift.min(days[d], run)
        let offDays = (0..<7).filter { days[$0] == 0 }
        let quietDay =
            c.time - members[m].firstSeen >= 6 * 86_400_000_000 && offDays.count == 2
            && (offDays[1] - offDays[0] == 1 || offDays[1] - offDays[0] == 6) && offDays.contains(d)
        let quiet = profile <= run || quietDay
        if newSession {
            members[m].quietSince = quiet ? c.time : .min
            members[m].quietCalls = 0
        }
        guard quiet, members[m].quietSince != .min else {
            members[m].quietSince = .min
            return
        }
        members[m].quietCalls &+= 1
        guard Int(members[m].quietCalls) == s.minCalls else { return }
        guard Self.teamQuiet(&tenantQuiet, c, limit: s.maxMembersAtOnce, first: true) else { return }
        let total = hours[(m * 24)..<(m * 24 + 24)].reduce(0) { $0 + Int($1) }
        raiseRule(
            .offHours,
            .member,
            c,
            observed: Double(members[m].quietCalls),
            score: 0.8,
            windowStart: members[m].quietSince,
            mean: Double(total) / 24,
            into: &alerts
        )
    }
}
