import Foundation
import Kafka
import Logging
import Pipeline
import ServiceLifecycle
import TrafficGenerator
import Worker

/// Measures what a stalled sink costs in memory: the worker consumes a full
/// topic into a sink that refuses every batch for `stallSeconds`, then
/// recovers. Resident memory is sampled throughout; the broker (in this
/// process) already holds every message before the worker starts, so growth
/// is the worker's.
struct StallBenchmark {
    var events: Int
    var stallSeconds = 10.0
    var partitions = 64

    /// Refuses every batch until the deadline, then counts what it accepts.
    final class StallingSink: Sink, @unchecked Sendable {
        let name = "stalling"
        let until: ContinuousClock.Instant
        private let accepted = Counter()
        init(until: ContinuousClock.Instant) { self.until = until }
        struct Stalled: Error {}
        func write(_ batch: EventBatch) async throws -> SinkOutcome {
            guard ContinuousClock.now >= until else { throw Stalled() }
            accepted.add(batch.events.count)
            return .accepted
        }
        var count: Int { accepted.value }
    }

    func run() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("stall", partitions: partitions)
        try cluster.createTopic("stall.dead-letter", partitions: 1)
        let producer = try KafkaProducer(properties: [
            "bootstrap.servers": cluster.bootstrapServers, "linger.ms": "20", "batch.num.messages": "10000",
        ])
        let traffic = SyntheticTraffic(seed: 7, tenants: 10, membersPerTenant: 1_000)
        for index in 0..<events {
            let event = traffic.event(at: index)
            try await producer.send(topic: "stall", key: Array(event.actor.id.utf8), value: event.jsonBytes())
        }
        try await producer.flush()
        let available = try await heldByBroker(cluster, topic: "stall", partitions: partitions)
        let before = residentMegabytes()
        report("stall: \(available) events in the topic; resident before the worker starts: \(format(before)) MB")

        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let configuration = SourceConfiguration(
            kafka: ["bootstrap.servers": cluster.bootstrapServers, "group.id": "stall"],
            topics: ["stall"],
            deadLetterTopic: "stall.dead-letter",
            batchSize: 5_000,
            retryBackoffMilliseconds: 100...1_000
        )
        let recovery = ContinuousClock.now + .seconds(stallSeconds)
        let sink = StallingSink(until: recovery)
        let source = KafkaSourceService(configuration: configuration, sinks: [sink], logger: logger)
        let group = ServiceGroup(services: [source], logger: logger)
        var peakStalled = 0.0
        var peakAfter = 0.0
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var last = (count: 0, at: ContinuousClock.now)
            while sink.count < available {
                try await Task.sleep(for: .milliseconds(100))
                if sink.count != last.count {
                    last = (sink.count, ContinuousClock.now)
                } else if ContinuousClock.now > recovery, ContinuousClock.now - last.at > .seconds(15) {
                    report("stall: no progress for 15 s at \(sink.count) of \(available): \(source.statistics)")
                    break
                }
                let now = residentMegabytes()
                if ContinuousClock.now < recovery {
                    peakStalled = max(peakStalled, now)
                } else {
                    peakAfter = max(peakAfter, now)
                }
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let statistics = source.statistics
        report("stall: peak resident while the sink stalled \(format(stallSeconds)) s: \(format(peakStalled)) MB")
        report("stall: peak resident while draining after recovery: \(format(peakAfter)) MB")
        report(
            "stall: failed attempts \(statistics.sinkFailures), most messages held \(statistics.peakHeldMessages),"
                + " delivered \(sink.count) of \(available)"
        )
    }

    private func residentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        let kilobytes = line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        return kilobytes / 1024
    }
}

/// Prints a line at once, even when the output is a pipe.
func report(_ line: String) {
    print(line)
    fflush(nil)
}

/// A thread-safe running total.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ amount: Int) { lock.withLock { total += amount } }
    var value: Int { lock.withLock { total } }
}
