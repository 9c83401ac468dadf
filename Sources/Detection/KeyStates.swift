/// What the engine keeps per member: plain values only (the name lives in
/// the engine's `memberNames`), so that reading one copies no reference.
/// Plus 24 hour and 7 day counters, 7 cool-downs, the resource filter and
/// the evidence ring held in the engine's flat arrays (BENCHMARKS.md has
/// the measured total per key).
struct MemberState: Sendable {
    /// Whether the slot holds a member (false once evicted).
    var live = true
    var tenant: Int32
    var firstSeen: Int64
    var lastSeen: Int64
    var events: UInt32 = 0
    /// Current window bucket of the distinct-tools count (breadth).
    var bucket: Int32 = .min
    var tools: (current: DistinctSketch, previous: DistinctSketch) = (.init(), .init())
    var toolsBaseline = Baseline()
    /// Tools this member has called, as a 512-bit filter over tool indices.
    var seenTools: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    /// Event time of the last large read from a sensitive tool, or .min,
    /// and the most bytes one read returned since the window before it.
    var lastSensitiveRead: Int64 = .min
    var lastReadBytes: Int64 = 0
    /// Whether the member has called an admin tool before.
    var usedAdmin = false
    /// MCP servers the member has called, as a 128-bit filter (a collision
    /// reads "seen": a first use can go unnoticed, never the reverse).
    var seenServers: (UInt64, UInt64) = (0, 0)
    /// Calls in a run of calls at the member's quiet hours, and when it began.
    var quietCalls: UInt16 = 0
    var quietSince: Int64 = .min
    /// Calls per spike window and their busy-window baseline.
    var slow = SlidingCount()
    var slowBaseline = Baseline()
    /// Denied calls in the current run (`probing`), when it began, and the
    /// long-run share of the member's calls that were denied.
    var deniedRun: UInt16 = 0
    var deniedCalls: UInt16 = 0
    var deniedSince: Int64 = .min
    var deniedShare = Baseline()
    /// Minutes that move the member's day around their working hours
    /// (``DetectionEngine/dayShift(_:)``), refreshed every 64 calls.
    var dayShiftMinutes: Int16 = 0
    var evidenceNext: UInt8 = 0

    init(tenant: Int32, at time: Int64) {
        self.tenant = tenant
        firstSeen = time
        lastSeen = time
    }

    mutating func advance(to bucket: Int32, alpha: Float) {
        guard bucket > self.bucket else { return }
        // Every call inserts its tool: a window with any tool was busy.
        if self.bucket != .min, !tools.current.isEmpty { toolsBaseline.add(tools.current.estimate, alpha: alpha) }
        let adjacent = bucket == self.bucket &+ 1
        tools = (.init(), adjacent ? tools.current : .init())
        self.bucket = bucket
    }

    /// Whether the member called tool `index` before (a filter: a collision
    /// answers yes, so a rare first use can go unnoticed, never the reverse).
    func hasSeen(tool index: Int32) -> Bool {
        let bit = UInt64(1) << (UInt64(index) & 63)
        return withUnsafeBytes(of: seenTools) { words in
            (words.load(fromByteOffset: Int((UInt64(index) >> 6) & 7) * 8, as: UInt64.self) & bit) != 0
        }
    }

    mutating func markSeen(tool index: Int32) {
        let bit = UInt64(1) << (UInt64(index) & 63)
        let word = Int((UInt64(index) >> 6) & 7)
        withUnsafeMutableBytes(of: &seenTools) { words in
            let offset = word * 8
            words.storeBytes(
                of: words.load(fromByteOffset: offset, as: UInt64.self) | bit,
                toByteOffset: offset,
                as: UInt64.self
            )
        }
    }
}

extension MemberState {
    func hasSeen(server hash: UInt64) -> Bool {
        let bit = UInt64(1) << (hash & 63)
        return (hash & 64 == 0 ? seenServers.0 : seenServers.1) & bit != 0
    }

    mutating func markSeen(server hash: UInt64) {
        let bit = UInt64(1) << (hash & 63)
        if hash & 64 == 0 { seenServers.0 |= bit } else { seenServers.1 |= bit }
    }
}

/// A spike-window count with its busy-window baseline and cool-down: what
/// each member x tool pair, tool and tenant keeps; pairs also keep their
/// result sizes and new-resource runs.
struct CountState: Sendable, Hashable {
    /// Bucket until which this key does not alert again.
    var quietUntil: Int32 = .min
    var lastSeen: Int64
    /// Member and tool of a pair (for eviction); unused elsewhere.
    var member: Int32 = -1
    var tool: Int32 = -1
    /// Calls per spike window (15 minutes by default) and their busy-window baseline.
    var slow = SlidingCount()
    var slowBaseline = Baseline()
    /// Of a pair: log(1 + result bytes) per successful call, and the run of
    /// calls far above it (count, start, bytes).
    var size = Baseline()
    var largeCalls: UInt16 = 0
    var largeSince: Int64 = .min
    var largeBytes: Int64 = 0
    /// Of a pair: calls on resources the member never touched before, net
    /// of calls on known ones (each counts double), and the long-run share
    /// of new resources among the pair's calls.
    var freshRun: UInt16 = 0
    var freshShare = Baseline()

    init(at time: Int64) { lastSeen = time }

    mutating func record(slowBucket: Int32, at time: Int64, slowAlpha: Float) {
        var slowBaseline = self.slowBaseline
        slow.advance(to: slowBucket) { slowBaseline.add($0, alpha: slowAlpha) }
        self.slowBaseline = slowBaseline
        slow.add(1)
        lastSeen = Swift.max(lastSeen, time)
    }
}

/// Per tool: its count, how many members have used it, and its class.
struct ToolState: Sendable, Hashable {
    var calls: CountState
    var members: UInt32 = 0
    /// The MCP server it was first seen on (its class depends on it; kept in snapshots).
    var server: String
    var toolClass: ToolClass
    /// Whether a call can carry data outside (a send, or a fetch or browser tool).
    var outbound: Bool
    /// Whether it stays on the caller's side (local files, a local git, memory).
    var local: Bool
    /// Whether a first use is news by itself (refunds, deployments, secrets).
    var highImpact: Bool

    init(calls: CountState, name: String, server: String, settings: DetectionSettings) {
        self.calls = calls
        self.server = server
        toolClass = settings.toolClass(name, server: server.isEmpty ? nil : server)
        let serverName = server.isEmpty ? nil : server
        outbound = toolClass == .externalSend || ToolLexicon.reachesOutside(tool: name, server: serverName)
        local = ToolLexicon.isLocal(tool: name, server: serverName)
        highImpact = toolClass == .admin || ToolLexicon.isHighImpact(tool: name, server: serverName)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
