import Foundation
import Kafka
import Testing

@Suite("Kafka consumer", .serialized)
struct KafkaConsumerTests {
    /// Polls until `count` messages arrived or `seconds` passed.
    /// Generous: only a failing test waits it out, and a loaded machine makes group joins slow.
    func consume(_ consumer: KafkaConsumer, count: Int, seconds: Double = 240) async throws -> [KafkaConsumer.Message] {
        var messages: [KafkaConsumer.Message] = []
        let deadline = Date().addingTimeInterval(seconds)
        while messages.count < count, Date() < deadline {
            messages += try await consumer.poll(maxMessages: 500, timeoutMilliseconds: 200)
        }
        return messages
    }

    func produce(_ bootstrap: String, topic: String, range: Range<Int>) async throws {
        let producer = try KafkaProducer(properties: ["bootstrap.servers": bootstrap])
        for index in range {
            try await producer.send(topic: topic, key: Array("k\(index % 13)".utf8), value: Array("v\(index)".utf8))
        }
        try await producer.flush()
        #expect(producer.deliveries.delivered == range.count)
    }

    @Test("a group consumes every message once; what it commits, the next member does not see again")
    func commitAndResume() async throws {
        let cluster = try MockCluster()
        let topic = "audit"
        try cluster.createTopic(topic, partitions: 4)
        try await produce(cluster.bootstrapServers, topic: topic, range: 0..<1_000)
        // A short session: the mock coordinator waits out a departed member's session.
        let properties: KafkaProperties = [
            "bootstrap.servers": cluster.bootstrapServers, "group.id": "g1", "session.timeout.ms": "6000",
            "heartbeat.interval.ms": "500",
        ]

        let first = try KafkaConsumer(properties: properties, topics: [topic])
        let messages = try await consume(first, count: 1_000)
        #expect(messages.count == 1_000)
        #expect(Set(messages.map { String(decoding: $0.value, as: UTF8.self) }).count == 1_000)
        #expect(first.assignment.count == 4)
        #expect(first.takeRebalances().contains { if case .assigned(let p) = $0 { p.count == 4 } else { false } })
        // Commit the next offset to read for every partition seen.
        var next: [TopicPartition: Int64] = [:]
        for message in messages {
            let partition = TopicPartition(topic: message.topic, partition: message.partition)
            next[partition] = max(next[partition] ?? 0, message.offset + 1)
        }
        try await first.commit(next)
        let committed = try await first.committed(Array(next.keys))
        #expect(committed == next.mapValues { Optional($0) })
        try await first.close()

        try await produce(cluster.bootstrapServers, topic: topic, range: 1_000..<1_100)
        let second = try KafkaConsumer(properties: properties, topics: [topic])
        let rest = try await consume(second, count: 100)
        // Only the messages after the committed offsets: nothing twice.
        #expect(rest.count == 100)
        #expect(Set(rest.map { String(decoding: $0.value, as: UTF8.self) }) == Set((1_000..<1_100).map { "v\($0)" }))
        try await second.close()
    }

    @Test("a paused partition delivers nothing until it is resumed")
    func pauseAndResume() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("audit", partitions: 1)
        let consumer = try KafkaConsumer(
            properties: ["bootstrap.servers": cluster.bootstrapServers, "group.id": "g2"],
            topics: ["audit"]
        )
        // Join the group before pausing: only an assigned partition can be paused.
        let deadline = Date().addingTimeInterval(180)
        while consumer.assignment.isEmpty, Date() < deadline {
            _ = try await consumer.poll(timeoutMilliseconds: 200)
        }
        let partition = TopicPartition(topic: "audit", partition: 0)
        #expect(consumer.assignment == [partition])
        try await consumer.pause([partition])
        try await produce(cluster.bootstrapServers, topic: "audit", range: 0..<50)
        var whilePaused = 0
        for _ in 0..<10 { whilePaused += try await consumer.poll(timeoutMilliseconds: 100).count }
        #expect(whilePaused == 0)
        try await consumer.resume([partition])
        let after = try await consume(consumer, count: 50)
        #expect(after.count == 50)
        try await consumer.close()
    }

    @Test("a consumer without group.id is refused")
    func needsGroup() {
        #expect(throws: KafkaError.self) {
            try KafkaConsumer(properties: ["bootstrap.servers": "127.0.0.1:1"], topics: ["audit"])
        }
    }
}
