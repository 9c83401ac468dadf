import ServiceLifecycle

/// Ends the service group once the source has consumed nothing new for a
/// while (demos and one-off replays); a long-running worker does not use it.
/// A worker retrying a failing sink is busy, not idle: every failed attempt
/// and every acknowledgement counts as activity, and nothing consumed may
/// still wait for its sinks.
/// The clock starts at the first consumed message: joining a consumer group
/// takes seconds. A topic that yields nothing at all ends the group after
/// `joinGraceSeconds` more.
public struct IdleExit: Service {
    let source: KafkaSourceService
    let idleSeconds: Double
    let joinGraceSeconds: Double

    public init(source: KafkaSourceService, idleSeconds: Double, joinGraceSeconds: Double = 30) {
        self.source = source
        self.idleSeconds = idleSeconds
        self.joinGraceSeconds = joinGraceSeconds
    }

    public func run() async throws {
        func activity(_ s: SourceStatistics) -> [Int] { [s.consumed, s.acknowledged, s.sinkFailures] }
        var last = activity(source.statistics)
        var idleSince = ContinuousClock.now
        while !Task.isShuttingDownGracefully {
            try await Task.sleep(for: .milliseconds(200))
            let statistics = source.statistics
            let now = activity(statistics)
            let inHand = statistics.consumed - statistics.acknowledged - statistics.deadLettered
            if now != last || inHand > 0 {
                last = now
                idleSince = ContinuousClock.now
            } else {
                let limit = statistics.consumed == 0 ? idleSeconds + joinGraceSeconds : idleSeconds
                if ContinuousClock.now - idleSince >= .milliseconds(Int(limit * 1_000)) { return }
            }
        }
    }
}
