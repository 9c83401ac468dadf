/// Interning of keys into the engine's tables, and eviction of idle ones.
/// Freed slots are reused last freed first, so a restored
/// snapshot hands out the same slots as an engine that never stopped.
extension DetectionEngine {
    mutating func intern(tenant name: String) -> Int32? {
        let key = NameKey(name)
        if let index = tenantIndex[key] { return index }
        guard tenants.count < settings.maxTenants else { return nil }
        let index = Int32(tenants.count)
        tenantIndex[key] = index
        tenants.append(CountState(at: .min))
        tenantNames.append(name)
        tenantQuiet.append((.min, 0))
        tenantLarge.append((.min, 0))
        return index
    }

    mutating func intern(tool name: String, server: String?, at time: Int64) -> Int32? {
        let key = NameKey(name)
        if let index = toolIndex[key] { return index }
        guard tools.count < settings.maxTools else { return nil }
        let index = Int32(tools.count)
        toolIndex[key] = index
        toolNames.append(name)
        tools.append(ToolState(calls: CountState(at: time), name: name, server: server ?? "", settings: settings))
        return index
    }

    mutating func intern(member name: String, tenant: Int32, at time: Int64) -> Int32? {
        let key = NameKey(name)
        if let index = memberIndex[key] { return index }
        let state = MemberState(tenant: tenant, at: time)
        let index: Int32
        if !freeMembers.isEmpty {
            index = freeMembers.removeLast()
            members[Int(index)] = state
            memberNames[Int(index)] = name
            let i = Int(index)
            for h in 0..<24 { hours[i * 24 + h] = 0 }
            for d in 0..<7 { weekdays[i * 7 + d] = 0 }
            for d in 0..<Detector.allCases.count { quiet[i * Detector.allCases.count + d] = .min }
            for e in 0..<evidencePerMember { evidence[i * evidencePerMember + e] = "" }
            for w in 0..<Self.resourceWords { seenResources[i * Self.resourceWords + w] = 0 }
        } else {
            guard members.count < settings.maxMembers else { return nil }
            index = Int32(members.count)
            members.append(state)
            memberNames.append(name)
            hours.append(contentsOf: repeatElement(0, count: 24))
            weekdays.append(contentsOf: repeatElement(0, count: 7))
            quiet.append(contentsOf: repeatElement(.min, count: Detector.allCases.count))
            evidence.append(contentsOf: repeatElement("", count: evidencePerMember))
            seenResources.append(contentsOf: repeatElement(0, count: Self.resourceWords))
        }
        memberIndex[key] = index
        return index
    }

    mutating func intern(pair member: Int32, _ tool: Int32, at time: Int64) -> Int32? {
        let key = Int64(member) << 32 | Int64(UInt32(bitPattern: tool))
        if let index = pairIndex[key] { return index }
        var state = CountState(at: time)
        state.member = member
        state.tool = tool
        let index: Int32
        if !freePairs.isEmpty {
            index = freePairs.removeLast()
            pairs[Int(index)] = state
        } else {
            guard pairs.count < settings.maxPairs else { return nil }
            index = Int32(pairs.count)
            pairs.append(state)
        }
        pairIndex[key] = index
        return index
    }

    /// Once per hour of event time: forgets members and pairs idle longer
    /// than `evictAfterSeconds`. Scans the tables in slot order, never a
    /// dictionary's order, so that eviction is deterministic.
    mutating func sweepIfDue() {
        let hour = watermark / 3_600_000_000
        guard hour > lastSweepHour else { return }
        let first = lastSweepHour == .min
        lastSweepHour = hour
        if first { return }
        let cutoff = watermark - Int64(settings.evictAfterSeconds) * 1_000_000
        for index in pairs.indices where pairs[index].member >= 0 && pairs[index].lastSeen < cutoff {
            let key = Int64(pairs[index].member) << 32 | Int64(UInt32(bitPattern: pairs[index].tool))
            pairIndex[key] = nil
            pairs[index].member = -1
            freePairs.append(Int32(index))
            statistics.evictedPairs += 1
        }
        for index in members.indices where members[index].live && members[index].lastSeen < cutoff {
            memberIndex[NameKey(memberNames[index])] = nil
            members[index].live = false
            memberNames[index] = ""
            freeMembers.append(Int32(index))
            statistics.evictedMembers += 1
        }
    }
}
