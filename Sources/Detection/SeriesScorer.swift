/// Anomaly scores for a plain series (an exported metric, a per-minute
/// count), with the engine's baseline: each value is judged against the
/// exponentially weighted mean and spread of the values before it, then
/// added to them. The score is 0 during the warm-up and otherwise
/// erf(|z| / sqrt 2): the share of a normal distribution closer to the mean
/// than this value, in [0, 1); 0.997 is three standard deviations away.
public struct SeriesScorer: Sendable {
    public let alpha: Float
    public let warmup: Int
    private var baseline = Baseline()
    private var seen = 0

    public init(alpha: Float = 0.05, warmup: Int = 10) {
        self.alpha = alpha
        self.warmup = warmup
    }

    /// The score of `value` given the earlier values; then learns it.
    public mutating func score(_ value: Double) -> Double {
        defer {
            baseline.add(Float(value), alpha: alpha)
            seen += 1
        }
        guard seen >= warmup else { return 0 }
        // Spread floor: a millionth of the mean's size, so a flat series does not divide by zero.
        let floor = Swift.max(abs(baseline.mean) * 1e-6, 1e-9)
        let z = Double(abs(baseline.score(Float(value), floor: floor, counts: false)))
        return erf(z / 2.0.squareRoot())
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
