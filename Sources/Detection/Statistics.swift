/// Running mean and variance of the values a key shows in its busy windows
/// (windows with at least one event), exponentially weighted so that old
/// habits fade. Busy windows only: a member who works eight hours a day is
/// judged against their working minutes, not against a night of zeros.
public struct Baseline: Sendable, Hashable {
    public private(set) var mean: Float = 0
    public private(set) var variance: Float = 0
    /// Busy windows seen, saturating; the warm-up counts these.
    public private(set) var samples: UInt16 = 0

    public init() {}

    init(mean: Float, variance: Float, samples: UInt16) {
        self.mean = mean
        self.variance = variance
        self.samples = samples
    }

    /// Adds one busy window's value with weight `alpha`; the first few
    /// windows are averaged plainly so that the baseline starts unbiased.
    public mutating func add(_ value: Float, alpha: Float) {
        let weight = Swift.max(alpha, 1 / Float(Int(samples) + 1))
        let delta = value - mean
        mean += weight * delta
        variance = (1 - weight) * (variance + weight * delta * delta)
        if samples < .max { samples += 1 }
    }

    /// The spread used for scores: the standard deviation, but never below
    /// the Poisson spread of a count with this mean (sqrt(mean)) or `floor`,
    /// so that a key whose windows were all alike does not alert on noise.
    public func spread(floor: Float, counts: Bool = true) -> Float {
        Swift.max(variance.squareRoot(), counts ? mean.squareRoot() : 0, floor)
    }

    /// Standard scores of `value` above the baseline; `counts` false for
    /// values that are not counts (logarithms of sizes), which get no Poisson floor.
    public func score(_ value: Float, floor: Float, counts: Bool = true) -> Float {
        (value - mean) / spread(floor: floor, counts: counts)
    }
}

/// A count over a sliding window of event time, from two tumbling buckets:
/// the estimate weights the previous bucket by the part of it still inside
/// the window. Closed buckets feed a ``Baseline``.
public struct SlidingCount: Sendable, Hashable {
    /// Index of the current bucket (bucket length since the epoch).
    public private(set) var bucket: Int32 = .min
    public private(set) var current: Float = 0
    public private(set) var previous: Float = 0

    public init() {}

    init(bucket: Int32, current: Float, previous: Float) {
        self.bucket = bucket
        self.current = current
        self.previous = previous
    }

    /// Moves to `bucket` if it is later, handing each closed busy bucket to `closed`.
    @inline(__always)
    public mutating func advance(to bucket: Int32, closed: (Float) -> Void) {
        guard bucket > self.bucket else { return }
        if current > 0, self.bucket != .min { closed(current) }
        previous = bucket == self.bucket &+ 1 ? current : 0
        current = 0
        self.bucket = bucket
    }

    @inline(__always)
    public mutating func add(_ amount: Float) { current += amount }

    /// The sliding-window estimate at `fraction` (0..<1) of the way through the current bucket.
    @inline(__always)
    public func estimate(at fraction: Float) -> Float { current + previous * (1 - fraction) }
}

/// Distinct values in a window, estimated by linear counting over a
/// 256-bit bitmap (32 bytes): accurate to a few percent up to a few hundred
/// values, which is where breadth alerts live; above that it saturates high.
public struct DistinctSketch: Sendable, Hashable {
    public var bits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    public init() {}

    @inline(__always)
    public mutating func insert(hash: UInt64) {
        let bit = UInt64(1) << (hash & 63)
        switch (hash >> 6) & 3 {
        case 0: bits.0 |= bit
        case 1: bits.1 |= bit
        case 2: bits.2 |= bit
        default: bits.3 |= bit
        }
    }

    public var isEmpty: Bool { bits.0 | bits.1 | bits.2 | bits.3 == 0 }

    /// The union of two sketches.
    public func union(_ other: DistinctSketch) -> DistinctSketch {
        var result = DistinctSketch()
        result.bits = (bits.0 | other.bits.0, bits.1 | other.bits.1, bits.2 | other.bits.2, bits.3 | other.bits.3)
        return result
    }

    /// The linear-counting estimate: -m ln(zero bits / m).
    public var estimate: Float {
        let set = bits.0.nonzeroBitCount + bits.1.nonzeroBitCount + bits.2.nonzeroBitCount + bits.3.nonzeroBitCount
        let zeros = Float(256 - Swift.min(set, 255))
        return -256 * logf(zeros / 256)
    }

    public static func == (a: DistinctSketch, b: DistinctSketch) -> Bool {
        a.bits.0 == b.bits.0 && a.bits.1 == b.bits.1 && a.bits.2 == b.bits.2 && a.bits.3 == b.bits.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bits.0)
        hasher.combine(bits.1)
        hasher.combine(bits.2)
        hasher.combine(bits.3)
    }
}

/// FNV-1a over UTF-8 bytes, then a 64-bit finaliser: a stable hash (the
/// same in every process, unlike `Hasher`) for sketches and alert ids.
@inline(__always)
public func stableHash(_ text: String, seed: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
    var hash = seed
    var copy = text
    copy.withUTF8 { bytes in
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
    }
    hash ^= hash >> 33
    hash = hash &* 0xFF51_AFD7_ED55_8CCD
    hash ^= hash >> 33
    return hash
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension UInt16 {
    /// `self - amount`, stopping at zero.
    func subtractingClamped(_ amount: UInt16) -> UInt16 { self > amount ? self - amount : 0 }
}
