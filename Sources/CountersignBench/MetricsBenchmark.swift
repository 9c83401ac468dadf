import Foundation
import Kafka
import Logging
import MetricsEndpoint
import Pipeline
import ServiceLifecycle
import Telemetry
import TrafficGenerator
import Worker

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The worker's source (decode, null sink) over the same topic twice: once
/// without metrics, once with every instrument on and /metrics scraped over
/// HTTP every 100 ms while it runs (full load). Reports both rates, their
/// ratio, and the scrape latencies.
struct MetricsBenchmark {
    var events: Int
    var partitions = 128

    func run() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("bench", partitions: partitions)
        try cluster.createTopic("bench.dead-letter", partitions: 1)
        let producer = try KafkaProducer(properties: [
            "bootstrap.servers": cluster.bootstrapServers, "linger.ms": "20", "batch.num.messages": "10000",
        ])
        let traffic = SyntheticTraffic(seed: 42, tenants: 10, membersPerTenant: 1_000)
        for index in 0..<events {
            let event = traffic.event(at: index)
            try await producer.send(topic: "bench", key: Array(event.actor.id.utf8), value: event.jsonBytes())
        }
        try await producer.flush()
        let available = try await heldByBroker(cluster, topic: "bench", partitions: partitions)
        print("metrics: \(available) events held by the broker")
        var rates: [(String, Double)] = []
        for (round, withMetrics) in [false, true, false, true].enumerated() {
            let (seconds, scrapes, series, bytes) = try await consume(
                cluster,
                group: "bench-\(round)",
                expected: available,
                withMetrics: withMetrics
            )
            let rate = Double(available) / seconds
            rates.append((withMetrics ? "with" : "without", rate))
            var line =
                "metrics: \(withMetrics ? "with metrics, scraped every 100 ms" : "without metrics")  \(format(rate)) events/s"
            if withMetrics, scrapes.count > 1 {
                // The first scrape opens the connection (and the client's session): reported apart.
                let warm = scrapes.dropFirst().sorted()
                line +=
                    "; \(scrapes.count) scrapes: first \(String(format: "%.1f", scrapes[0])) ms, then median "
                    + "\(String(format: "%.1f", warm[warm.count / 2])) ms, p99 "
                    + "\(String(format: "%.1f", warm[min(warm.count - 1, warm.count * 99 / 100)])) ms, max "
                    + "\(String(format: "%.1f", warm.last!)) ms; \(series) series, \(bytes) bytes"
            }
            report(line)
        }
        let with = rates.filter { $0.0 == "with" }.map(\.1).reduce(0, +) / 2
        let without = rates.filter { $0.0 == "without" }.map(\.1).reduce(0, +) / 2
        report("metrics: ratio with/without = \(String(format: "%.3f", with / without)) (means of two runs each)")
    }

    /// Seconds from the first consumed message to the last, scrape latencies in ms, and the last scrape's size.
    private func consume(
        _ cluster: MockCluster,
        group: String,
        expected: Int,
        withMetrics: Bool
    ) async throws -> (Double, [Double], Int, Int) {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let configuration = SourceConfiguration(
            kafka: ["bootstrap.servers": cluster.bootstrapServers, "group.id": group],
            topics: ["bench"],
            deadLetterTopic: "bench.dead-letter",
            batchSize: 5_000
        )
        let metrics = withMetrics ? PipelineMetrics() : nil
        let source = KafkaSourceService(
            configuration: configuration,
            sinks: [NullSink()],
            logger: logger,
            metrics: metrics
        )
        let port = Locked(0)
        var services: [any Service] = [source]
        if let metrics {
            services.append(
                MetricsServer(host: "127.0.0.1", port: 0, metrics: metrics, logger: logger) {
                    Readiness(ready: true, reasons: [])
                } onListening: { bound in
                    port.withLock { $0 = bound }
                }
            )
        }
        let serviceGroup = ServiceGroup(services: services, logger: logger)
        let scrapes = Locked<[Double]>([])
        let last = Locked((0, 0))
        let elapsed = try await withThrowingTaskGroup(of: Double?.self) { tasks in
            tasks.addTask {
                try await serviceGroup.run()
                return nil
            }
            if withMetrics {
                tasks.addTask {
                    while source.statistics.acknowledged < expected && !Task.isCancelled {
                        let bound = port.withLock { $0 }
                        if bound > 0, source.statistics.consumed > 0 {
                            let started = ContinuousClock.now
                            let (data, _) = try await URLSession.shared.data(
                                from: URL(string: "http://127.0.0.1:\(bound)/metrics")!
                            )
                            let took = seconds(ContinuousClock.now - started) * 1_000
                            scrapes.withLock { $0.append(took) }
                            let text = String(decoding: data, as: UTF8.self)
                            last.withLock {
                                $0 = (text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count, data.count)
                            }
                        }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    return nil
                }
            }
            tasks.addTask {
                while source.statistics.consumed == 0 { try await Task.sleep(for: .milliseconds(1)) }
                let start = ContinuousClock.now
                while source.statistics.acknowledged < expected { try await Task.sleep(for: .milliseconds(1)) }
                let elapsed = seconds(ContinuousClock.now - start)
                await serviceGroup.triggerGracefulShutdown()
                return elapsed
            }
            var elapsed = 0.0
            for try await result in tasks { if let result { elapsed = result } }
            return elapsed
        }
        if let metrics {
            var builds: [Double] = []
            for _ in 0..<20 {
                let started = ContinuousClock.now
                _ = metrics.exposition()
                builds.append(seconds(ContinuousClock.now - started) * 1_000)
            }
            builds.sort()
            report("metrics: building the exposition alone (idle): median \(String(format: "%.2f", builds[10])) ms")
        }
        let (series, bytes) = last.withLock { $0 }
        return (elapsed, scrapes.withLock { $0 }, series, bytes)
    }
}

/// A value shared between the benchmark's tasks.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) {
        self.value = value
    }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
