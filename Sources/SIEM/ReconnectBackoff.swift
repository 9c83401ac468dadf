/// When to try connecting again after a failure: the delay doubles from
/// `initial` to `maximum`, with up to 20% jitter so that many workers do
/// not reconnect in step; one success resets it.
struct ReconnectBackoff: Sendable {
    var initial: Duration = .milliseconds(100)
    var maximum: Duration = .seconds(30)
    private(set) var failures = 0
    private(set) var notBefore: ContinuousClock.Instant?

    init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
    }

    func allows(at now: ContinuousClock.Instant) -> Bool {
        notBefore.map { now >= $0 } ?? true
    }

    /// The delay after `failures` failures in a row, before jitter.
    func delay(afterFailures count: Int) -> Duration {
        var delay = initial
        for _ in 1..<max(count, 1) {
            delay *= 2
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }

    mutating func failed(at now: ContinuousClock.Instant, jitter: Double = Double.random(in: 0.8...1.0)) {
        failures += 1
        notBefore = now + delay(afterFailures: failures) * jitter
    }

    mutating func succeeded() {
        failures = 0
        notBefore = nil
    }
}
