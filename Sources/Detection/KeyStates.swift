/// What the engine keeps per member: plain values only (the name lives in
/// the engine's `memberNames`), so that reading one copies no reference.
/// About 330 bytes here, plus 24 hour
/// counters, 7 cool-downs and the evidence ring held in the engine's flat
/// arrays (BENCHMARKS.md has the measured total per key).
struct MemberState: Sendable {
    /// Whether the slot holds a member (false once evicted).
    var live = true
    var tenant: Int32
    var firstSeen: Int64
    var lastSeen: Int64
    var events: UInt32 = 0
    /// Current window bucket, shared by every metric below.
    var bucket: Int32 = .min
    var calls: (current: Float, previous: Float) = (0, 0)
    var bytes: (current: Float, previous: Float) = (0, 0)
    var failures: (current: Float, previous: Float) = (0, 0)
    var resources: (current: DistinctSketch, previous: DistinctSketch) = (.init(), .init())
    var tools: (current: DistinctSketch, previous: DistinctSketch) = (.init(), .init())
    var callsBaseline = Baseline()
    /// Over log(1 + bytes) of busy windows: result sizes span orders of magnitude.
    var bytesBaseline = Baseline()
    var failuresBaseline = Baseline()
    var resourcesBaseline = Baseline()
    var toolsBaseline = Baseline()
    /// Tools this member has called, as a 512-bit filter over tool indices.
    var seenTools: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    /// Event time of the last large read from a sensitive tool, or .min.
    var lastSensitiveRead: Int64 = .min
    var evidenceNext: UInt8 = 0

    init(tenant: Int32, at time: Int64) {
        self.tenant = tenant
        firstSeen = time
        lastSeen = time
    }

    mutating func advance(to bucket: Int32, alpha: Float) {
        guard bucket > self.bucket else { return }
        if self.bucket != .min, calls.current > 0 {
            callsBaseline.add(calls.current, alpha: alpha)
            bytesBaseline.add(log1pf(bytes.current), alpha: alpha)
            if failures.current > 0 { failuresBaseline.add(failures.current, alpha: alpha) }
            if !resources.current.isEmpty { resourcesBaseline.add(resources.current.estimate, alpha: alpha) }
            toolsBaseline.add(tools.current.estimate, alpha: alpha)
        }
        let adjacent = bucket == self.bucket &+ 1
        calls = (0, adjacent ? calls.current : 0)
        bytes = (0, adjacent ? bytes.current : 0)
        failures = (0, adjacent ? failures.current : 0)
        resources = (.init(), adjacent ? resources.current : .init())
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

/// A sliding count with its busy-window baseline and cool-down: what each
/// member x tool pair, tool and tenant keeps (about 40 bytes).
struct CountState: Sendable, Hashable {
    var count = SlidingCount()
    var baseline = Baseline()
    /// Bucket until which this key does not alert again.
    var quietUntil: Int32 = .min
    var lastSeen: Int64
    /// Member and tool of a pair (for eviction); unused elsewhere.
    var member: Int32 = -1
    var tool: Int32 = -1

    init(at time: Int64) { lastSeen = time }

    mutating func record(bucket: Int32, at time: Int64, alpha: Float) {
        var baseline = self.baseline
        count.advance(to: bucket) { baseline.add($0, alpha: alpha) }
        self.baseline = baseline
        count.add(1)
        lastSeen = Swift.max(lastSeen, time)
    }
}

/// Per tool: its count, how many members have used it, and its classes.
struct ToolState: Sendable, Hashable {
    var calls: CountState
    var members: UInt32 = 0
    /// Calls ever seen (for the tool's share of all calls).
    var total: UInt64 = 0
    var sensitive: Bool
    var external: Bool
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
