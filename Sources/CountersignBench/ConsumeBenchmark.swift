import Foundation
import Kafka
import Logging
import Pipeline
import ServiceLifecycle
import TrafficGenerator
import Worker

/// Consumes generated events from the mock broker over loopback TCP through
/// the worker's source (decode included) into a null sink, and, in the same
/// run, times kcat reading the same topic to /dev/null.
struct ConsumeBenchmark {
    var events: Int
    /// The mock keeps about 5 MB per partition: enough partitions to hold them all.
    var partitions = 128

    func run() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("bench", partitions: partitions)
        try cluster.createTopic("bench.dead-letter", partitions: 1)
        print("consume: producing \(events) generated events to \(partitions) partitions...")
        let producer = try KafkaProducer(properties: [
            "bootstrap.servers": cluster.bootstrapServers, "linger.ms": "20", "batch.num.messages": "10000",
        ])
        // Ten thousand members: keys spread over every partition, as in production.
        let traffic = SyntheticTraffic(seed: 42, tenants: 10, membersPerTenant: 1_000)
        var bytes = 0
        for index in 0..<events {
            let event = traffic.event(at: index)
            let message = event.jsonBytes()
            bytes += message.count
            try await producer.send(topic: "bench", key: Array(event.actor.id.utf8), value: message)
        }
        try await producer.flush()
        print("consume: \(producer.deliveries.delivered) delivered, mean \(bytes / max(events, 1)) bytes")
        // The mock broker drops the oldest messages beyond its retention (about
        // 5 MB per partition): both consumers are timed on what it still holds.
        let available = try await heldByBroker(cluster, topic: "bench", partitions: partitions)
        print("consume: the broker holds \(available) of them")

        let ours = try await consumeWithWorker(cluster, expected: available)
        let (theirs, read) = try kcat(cluster)
        print("consume: worker (decode, null sink)  \(format(Double(available) / ours)) events/s  (\(format(ours)) s)")
        print("consume: kcat -C, \(read) messages     \(format(Double(read) / theirs)) events/s  (\(format(theirs)) s)")
        print("consume: ratio worker/kcat = \(format((Double(available) / ours) / (Double(read) / theirs)))")
    }

    /// Seconds from the first consumed message to the last (group join excluded).
    private func consumeWithWorker(_ cluster: MockCluster, expected: Int) async throws -> Double {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let configuration = SourceConfiguration(
            kafka: ["bootstrap.servers": cluster.bootstrapServers, "group.id": "bench"],
            topics: ["bench"],
            deadLetterTopic: "bench.dead-letter",
            batchSize: 5_000
        )
        let source = KafkaSourceService(configuration: configuration, sinks: [NullSink()], logger: logger)
        let group = ServiceGroup(services: [source], logger: logger)
        return try await withThrowingTaskGroup(of: Double?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                while source.statistics.consumed == 0 { try await Task.sleep(for: .milliseconds(1)) }
                let start = ContinuousClock.now
                var last = (count: 0, at: ContinuousClock.now)
                while source.statistics.acknowledged < expected {
                    try await Task.sleep(for: .milliseconds(1))
                    let now = source.statistics.acknowledged
                    if now != last.count {
                        last = (now, ContinuousClock.now)
                    } else if ContinuousClock.now - last.at > .seconds(15) {
                        print("consume: stalled at \(now) of \(expected) events: \(source.statistics)")
                        break
                    }
                }
                let elapsed = seconds(ContinuousClock.now - start)
                await group.triggerGracefulShutdown()
                return elapsed
            }
            var elapsed = 0.0
            for try await result in tasks { if let result { elapsed = result } }
            return elapsed
        }
    }

    /// Wall time of kcat reading the whole topic, and how many messages it read.
    private func kcat(_ cluster: MockCluster) throws -> (Double, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
        // One byte per message, counted: the rate is only honest for what kcat really read.
        process.arguments = [
            "-b", cluster.bootstrapServers, "-C", "-t", "bench", "-e", "-q", "-o", "beginning", "-f", ".",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        let count = output.fileHandleForReading.readDataToEndOfFile().count
        process.waitUntilExit()
        return (seconds(ContinuousClock.now - start), count)
    }
}

/// How many messages the broker still holds in `topic` (it drops the oldest
/// beyond its retention): what a consumer can be expected to read.
func heldByBroker(_ cluster: MockCluster, topic: String, partitions: Int) async throws -> Int {
    let reader = try KafkaConsumer(
        properties: ["bootstrap.servers": cluster.bootstrapServers, "group.id": "bench-watermarks"],
        topics: [topic]
    )
    var held: Int64 = 0
    for partition in 0..<partitions {
        let (low, high) = try await reader.watermarks(TopicPartition(topic: topic, partition: Int32(partition)))
        held += high - low
    }
    return Int(held)
}
