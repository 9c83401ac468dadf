import AuditEvent

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
        if settings.exfiltration.enabled {
            let threshold = settings.exfiltration.threshold
            let bytes = members[m].bytes.current + members[m].bytes.previous * (1 - c.fraction)
            if bytes >= settings.exfiltration.minBytes, members[m].bytesBaseline.samples >= warm {
                let baseline = members[m].bytesBaseline
                let z = baseline.score(log1pf(bytes), floor: 0.5, counts: false)
                if z >= threshold {
                    raise(
                        .exfiltration,
                        .member,
                        c,
                        observed: bytes,
                        baseline: baseline,
                        z: z,
                        threshold: threshold,
                        logSpace: true,
                        into: &alerts
                    )
                }
            }
        }
        if settings.breadth.enabled {
            let member = members[m]
            if member.resourcesBaseline.samples >= warm || member.resourcesBaseline.samples == 0 {
                let distinct = member.resources.current.union(member.resources.previous).estimate
                if distinct >= settings.breadth.minResources {
                    let z = member.resourcesBaseline.score(distinct, floor: 2)
                    if z >= settings.breadth.threshold, member.callsBaseline.samples >= warm {
                        raise(
                            .breadth,
                            .member,
                            c,
                            observed: distinct,
                            baseline: member.resourcesBaseline,
                            z: z,
                            threshold: settings.breadth.threshold,
                            into: &alerts
                        )
                    }
                }
            }
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
        if settings.probing.enabled {
            let member = members[m]
            let failures = member.failures.current + member.failures.previous * (1 - c.fraction)
            let calls = member.calls.current + member.calls.previous * (1 - c.fraction)
            if failures >= settings.probing.minFailures, failures >= settings.probing.minFailureRatio * calls,
                member.callsBaseline.samples >= warm
            {
                let z = member.failuresBaseline.score(failures, floor: 1)
                if z >= settings.probing.threshold {
                    raise(
                        .probing,
                        .member,
                        c,
                        observed: failures,
                        baseline: member.failuresBaseline,
                        z: z,
                        threshold: settings.probing.threshold,
                        into: &alerts
                    )
                }
            }
        }
        if settings.readThenSend.enabled { detectReadThenSend(c, into: &alerts) }
        if settings.firstSeen.enabled { detectFirstSeen(c, into: &alerts) } else { markToolSeen(c) }
        if settings.offHours.enabled { detectOffHours(c, into: &alerts) }
        let hour = Int((c.time / 3_600_000_000) % 24 + 24) % 24
        let slot = m * 24 + hour
        if hours[slot] < .max { hours[slot] += 1 }
    }

    private mutating func detectSpikes(_ c: Context, into alerts: inout [Alert]) {
        let s = settings.spike
        let warm = UInt16(settings.warmupWindows)
        let member = members[Int(c.member)]
        let memberCalls = member.calls.current + member.calls.previous * (1 - c.fraction)
        if spiking(memberCalls, member.callsBaseline, minimum: s.minCountMember, warm: warm) {
            raise(
                .spike,
                .member,
                c,
                observed: memberCalls,
                baseline: member.callsBaseline,
                z: member.callsBaseline.score(memberCalls, floor: 1),
                threshold: s.threshold,
                into: &alerts
            )
        }
        let pair = pairs[Int(c.pair)]
        let pairCalls = pair.count.estimate(at: c.fraction)
        if spiking(pairCalls, pair.baseline, minimum: s.minCountPair, warm: warm) {
            raise(
                .spike,
                .memberTool,
                c,
                observed: pairCalls,
                baseline: pair.baseline,
                z: pair.baseline.score(pairCalls, floor: 1),
                threshold: s.threshold,
                into: &alerts
            )
        }
        let tool = tools[Int(c.tool)].calls
        let toolCalls = tool.count.estimate(at: c.fraction)
        if spiking(toolCalls, tool.baseline, minimum: s.minCountTool, warm: warm) {
            raise(
                .spike,
                .tool,
                c,
                observed: toolCalls,
                baseline: tool.baseline,
                z: tool.baseline.score(toolCalls, floor: 1),
                threshold: s.threshold,
                into: &alerts
            )
        }
        let tenant = tenants[Int(c.tenant)]
        let tenantCalls = tenant.count.estimate(at: c.fraction)
        if spiking(tenantCalls, tenant.baseline, minimum: s.minCountTenant, warm: warm) {
            raise(
                .spike,
                .tenant,
                c,
                observed: tenantCalls,
                baseline: tenant.baseline,
                z: tenant.baseline.score(tenantCalls, floor: 1),
                threshold: s.threshold,
                into: &alerts
            )
        }
    }

    private func spiking(_ value: Float, _ baseline: Baseline, minimum: Float, warm: UInt16) -> Bool {
        value >= minimum && baseline.samples >= warm && value >= settings.spike.minRatio * baseline.mean
            && baseline.score(value, floor: 1) >= settings.spike.threshold
    }

    private mutating func detectReadThenSend(_ c: Context, into alerts: inout [Alert]) {
        let m = Int(c.member)
        let ok = c.event.outcome.status == .success
        if tools[Int(c.tool)].external, ok, members[m].lastSensitiveRead != .min {
            let gap = c.time - members[m].lastSensitiveRead
            let within = Int64(settings.readThenSend.withinSeconds) * 1_000_000
            if gap >= 0, gap <= within {
                let closeness = 1 - Double(gap) / Double(within)
                raiseRule(
                    .readThenSend,
                    .memberTool,
                    c,
                    observed: Double(gap) / 1_000_000,
                    score: 0.5 + closeness / 2,
                    windowStart: members[m].lastSensitiveRead,
                    into: &alerts
                )
            }
        }
        if tools[Int(c.tool)].sensitive, ok, (c.event.outcome.resultBytes ?? 0) >= settings.readThenSend.minReadBytes {
            members[m].lastSensitiveRead = c.time
        }
    }

    private mutating func detectFirstSeen(_ c: Context, into alerts: inout [Alert]) {
        let s = settings.firstSeen
        guard !members[Int(c.member)].hasSeen(tool: c.tool) else { return }
        let users = Int(tools[Int(c.tool)].members)
        // Rare by both measures: few members have used it, and it is a small
        // share of all calls (an engine that sees few members, one partition
        // of a small organisation, would otherwise call every light tool rare).
        let share = Double(tools[Int(c.tool)].total) / Double(Swift.max(calls, 1))
        if Int(members[Int(c.member)].events) > s.warmupEvents, users < s.rareMembers, share < s.rareShare {
            raiseRule(
                .firstSeen,
                .memberTool,
                c,
                observed: Double(users),
                score: 1 - Double(users) / Double(Swift.max(1, s.rareMembers)) / 2,
                windowStart: members[Int(c.member)].firstSeen,
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

    private mutating func detectOffHours(_ c: Context, into alerts: inout [Alert]) {
        let s = settings.offHours
        let m = Int(c.member)
        guard Int(members[m].events) > s.warmupEvents,
            c.time - members[m].firstSeen >= Int64(s.warmupHours) * 3_600_000_000
        else { return }
        let hour = Int((c.time / 3_600_000_000) % 24 + 24) % 24
        for offset in -s.neighbourHours...s.neighbourHours where hours[m * 24 + (hour + offset + 24) % 24] > 0 {
            return
        }
        let total = hours[(m * 24)..<(m * 24 + 24)].reduce(0) { $0 + Int($1) }
        raiseRule(
            .offHours,
            .member,
            c,
            observed: Double(hour),
            score: 0.8,
            windowStart: c.time - 3_600_000_000,
            mean: Double(total) / 24,
            into: &alerts
        )
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
