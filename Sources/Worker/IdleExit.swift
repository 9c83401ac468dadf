import ServiceLifecycle

/// Ends the service group once the source has consumed nothing new for a
/// while (demos and one-off replays); a long-running worker does not use it.
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
        var last = source.statistics.consumed
        var idleSince = ContinuousClock.now
        while !Task.isShuttingDownGracefully {
            try await Task.sleep(for: .milliseconds(200))
            let now = source.statistics.consumed
            if now != last {
                last = now
                idleSince = ContinuousClock.now
            } else {
                let limit = now == 0 ? idleSeconds + joinGraceSeconds : idleSeconds
                if ContinuousClock.now - idleSince >= .milliseconds(Int(limit * 1_000)) { return }
            }
        }
    }
}
