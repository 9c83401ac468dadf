/// The engine's whole state as bytes, and back: stored with the Kafka
/// offsets it belongs to, so that a restart or a rebalance continues with
/// exactly the alerts an uninterrupted run would give. Little-endian,
/// versioned, tables in slot order; settings are not stored (they come from
/// the pipeline file), but the window length must match.
extension DetectionEngine {
    static let snapshotMagic: [UInt8] = Array("CSDE".utf8)
    static let snapshotVersion: UInt32 = 5

    public struct SnapshotError: Error, CustomStringConvertible {
        public var description: String
    }

    public func snapshot() -> [UInt8] {
        var w = SnapshotWriter()
        w.bytes += Self.snapshotMagic
        w.u32(Self.snapshotVersion)
        w.i64(window)
        w.i64(newest)
        w.i64(lastSweepHour)
        let s = statistics
        for value in [s.events, s.late, s.untracked, s.alerts, s.evictedMembers, s.evictedPairs] { w.i64(Int64(value)) }
        for detector in Detector.allCases { w.i64(Int64(s.alertsByDetector[detector] ?? 0)) }

        w.u32(UInt32(tenants.count))
        for (index, tenant) in tenants.enumerated() {
            w.string(tenantNames[index])
            w.count(tenant)
            w.i64(tenantQuiet[index].hour)
            w.u16(tenantQuiet[index].members)
            w.i64(tenantLarge[index].hour)
            w.u16(tenantLarge[index].members)
        }
        w.u32(UInt32(tools.count))
        for (index, tool) in tools.enumerated() {
            w.string(toolNames[index])
            w.string(tool.server)
            w.count(tool.calls)
            w.u32(tool.members)
        }
        w.u32(UInt32(members.count))
        for (index, member) in members.enumerated() {
            w.string(memberNames[index])
            w.member(member)
            for h in 0..<24 { w.u16(hours[index * 24 + h]) }
            for d in 0..<7 { w.u16(weekdays[index * 7 + d]) }
            for d in 0..<Detector.allCases.count { w.i32(quiet[index * Detector.allCases.count + d]) }
            for e in 0..<evidencePerMember { w.string(evidence[index * evidencePerMember + e]) }
            for word in 0..<Self.resourceWords { w.u64(seenResources[index * Self.resourceWords + word]) }
        }
        w.u32(UInt32(freeMembers.count))
        for index in freeMembers { w.i32(index) }
        w.u32(UInt32(pairs.count))
        for pair in pairs { w.count(pair) }
        w.u32(UInt32(freePairs.count))
        for index in freePairs { w.i32(index) }
        return w.bytes
    }

    public init(snapshot bytes: [UInt8], settings: DetectionSettings = DetectionSettings()) throws(SnapshotError) {
        self.init(settings: settings)
        var r = SnapshotReader(bytes: bytes)
        guard r.take(4) == Self.snapshotMagic else { throw SnapshotError(description: "not a detection snapshot") }
        guard r.u32() == Self.snapshotVersion else { throw SnapshotError(description: "unsupported snapshot version") }
        guard r.i64() == window else {
            throw SnapshotError(description: "the snapshot's window length differs from the settings'")
        }
        newest = r.i64()
        lastSweepHour = r.i64()
        statistics.events = Int(r.i64())
        statistics.late = Int(r.i64())
        statistics.untracked = Int(r.i64())
        statistics.alerts = Int(r.i64())
        statistics.evictedMembers = Int(r.i64())
        statistics.evictedPairs = Int(r.i64())
        for detector in Detector.allCases {
            let count = Int(r.i64())
            if count > 0 { statistics.alertsByDetector[detector] = count }
        }
        for index in 0..<Int(r.u32()) where !r.failed {
            let name = r.string()
            tenantNames.append(name)
            tenants.append(r.count())
            tenantQuiet.append((r.i64(), r.u16()))
            tenantLarge.append((r.i64(), r.u16()))
            tenantIndex[NameKey(name)] = Int32(index)
        }
        for index in 0..<Int(r.u32()) where !r.failed {
            let name = r.string()
            let server = r.string()
            var tool = ToolState(calls: r.count(), name: name, server: server, settings: settings)
            tool.members = r.u32()
            tools.append(tool)
            toolNames.append(name)
            toolIndex[NameKey(name)] = Int32(index)
        }
        for index in 0..<Int(r.u32()) where !r.failed {
            let name = r.string()
            let member = r.member()
            members.append(member)
            memberNames.append(name)
            for _ in 0..<24 { hours.append(r.u16()) }
            for _ in 0..<7 { weekdays.append(r.u16()) }
            for _ in 0..<Detector.allCases.count { quiet.append(r.i32()) }
            for _ in 0..<evidencePerMember { evidence.append(r.string()) }
            for _ in 0..<Self.resourceWords { seenResources.append(r.u64()) }
            if member.live { memberIndex[NameKey(name)] = Int32(index) }
        }
        for _ in 0..<Int(r.u32()) where !r.failed { freeMembers.append(r.i32()) }
        for index in 0..<Int(r.u32()) where !r.failed {
            let pair = r.count()
            pairs.append(pair)
            if pair.member >= 0 {
                pairIndex[Int64(pair.member) << 32 | Int64(UInt32(bitPattern: pair.tool))] = Int32(index)
            }
        }
        for _ in 0..<Int(r.u32()) where !r.failed { freePairs.append(r.i32()) }
        guard !r.failed, r.atEnd else { throw SnapshotError(description: "the snapshot is truncated or corrupt") }
    }
}

struct SnapshotWriter {
    var bytes: [UInt8] = []

    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func i32(_ value: Int32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func i64(_ value: Int64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func f32(_ value: Float) { u32(value.bitPattern) }

    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        u32(UInt32(utf8.count))
        bytes += utf8
    }

    mutating func baseline(_ b: Baseline) {
        f32(b.mean)
        f32(b.variance)
        u16(b.samples)
    }

    mutating func slidingCount(_ c: SlidingCount) {
        i32(c.bucket)
        f32(c.current)
        f32(c.previous)
    }

    mutating func sketch(_ s: DistinctSketch) {
        u64(s.bits.0)
        u64(s.bits.1)
        u64(s.bits.2)
        u64(s.bits.3)
    }

    mutating func count(_ c: CountState) {
        i32(c.quietUntil)
        i64(c.lastSeen)
        i32(c.member)
        i32(c.tool)
        slidingCount(c.slow)
        baseline(c.slowBaseline)
        baseline(c.size)
        u16(c.largeCalls)
        i64(c.largeSince)
        i64(c.largeBytes)
        u16(c.freshRun)
        baseline(c.freshShare)
    }

    mutating func member(_ m: MemberState) {
        bytes.append(m.live ? 1 : 0)
        i32(m.tenant)
        i64(m.firstSeen)
        i64(m.lastSeen)
        u32(m.events)
        i32(m.bucket)
        sketch(m.tools.current)
        sketch(m.tools.previous)
        baseline(m.toolsBaseline)
        withUnsafeBytes(of: m.seenTools) { bytes += $0 }
        i64(m.lastSensitiveRead)
        i64(m.lastReadBytes)
        bytes.append(m.usedAdmin ? 1 : 0)
        u64(m.seenServers.0)
        u64(m.seenServers.1)
        u16(m.quietCalls)
        i64(m.quietSince)
        slidingCount(m.slow)
        baseline(m.slowBaseline)
        u16(m.deniedRun)
        u16(m.deniedCalls)
        i64(m.deniedSince)
        baseline(m.deniedShare)
        u16(UInt16(bitPattern: m.dayShiftMinutes))
        bytes.append(m.evidenceNext)
    }
}

struct SnapshotReader {
    let bytes: [UInt8]
    var offset = 0
    /// Set when a read ran past the end; every later read yields zero.
    var failed = false

    var atEnd: Bool { offset == bytes.count }

    mutating func take(_ count: Int) -> [UInt8] {
        guard !failed, count >= 0, offset + count <= bytes.count else {
            failed = true
            return []
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    private mutating func load<T: FixedWidthInteger>(_: T.Type) -> T {
        let raw = take(MemoryLayout<T>.size)
        guard raw.count == MemoryLayout<T>.size else { return 0 }
        return T(littleEndian: raw.withUnsafeBytes { $0.loadUnaligned(as: T.self) })
    }

    mutating func u16() -> UInt16 { load(UInt16.self) }
    mutating func u32() -> UInt32 { load(UInt32.self) }
    mutating func i32() -> Int32 { load(Int32.self) }
    mutating func i64() -> Int64 { load(Int64.self) }
    mutating func u64() -> UInt64 { load(UInt64.self) }
    mutating func f32() -> Float { Float(bitPattern: u32()) }

    mutating func string() -> String {
        let count = Int(u32())
        guard count <= bytes.count - offset else {
            failed = true
            return ""
        }
        return String(decoding: take(count), as: UTF8.self)
    }

    mutating func baseline() -> Baseline { Baseline(mean: f32(), variance: f32(), samples: u16()) }

    mutating func slidingCount() -> SlidingCount { SlidingCount(bucket: i32(), current: f32(), previous: f32()) }

    mutating func sketch() -> DistinctSketch {
        var s = DistinctSketch()
        s.bits = (u64(), u64(), u64(), u64())
        return s
    }

    mutating func count() -> CountState {
        var c = CountState(at: 0)
        c.quietUntil = i32()
        c.lastSeen = i64()
        c.member = i32()
        c.tool = i32()
        c.slow = slidingCount()
        c.slowBaseline = baseline()
        c.size = baseline()
        c.largeCalls = u16()
        c.largeSince = i64()
        c.largeBytes = i64()
        c.freshRun = u16()
        c.freshShare = baseline()
        return c
    }

    mutating func member() -> MemberState {
        let live = take(1).first == 1
        var m = MemberState(tenant: i32(), at: 0)
        m.live = live
        m.firstSeen = i64()
        m.lastSeen = i64()
        m.events = u32()
        m.bucket = i32()
        m.tools = (sketch(), sketch())
        m.toolsBaseline = baseline()
        m.seenTools = (u64(), u64(), u64(), u64(), u64(), u64(), u64(), u64())
        m.lastSensitiveRead = i64()
        m.lastReadBytes = i64()
        m.usedAdmin = take(1).first == 1
        m.seenServers = (u64(), u64())
        m.quietCalls = u16()
        m.quietSince = i64()
        m.slow = slidingCount()
        m.slowBaseline = baseline()
        m.deniedRun = u16()
        m.deniedCalls = u16()
        m.deniedSince = i64()
        m.deniedShare = baseline()
        m.dayShiftMinutes = Int16(bitPattern: u16())
        m.evidenceNext = take(1).first ?? 0
        return m
    }
}
