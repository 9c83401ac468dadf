extension ClosedRange where Bound == Duration {
    /// The wait before the next attempt after `failures` failures in a row:
    /// the lower bound, doubled with each further failure, at most the upper.
    public func delay(afterFailures failures: Int) -> Duration {
        Swift.min(upperBound, lowerBound * (1 << Swift.min(Swift.max(failures, 1) - 1, 16)))
    }
}
