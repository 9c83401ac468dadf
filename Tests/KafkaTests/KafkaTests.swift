import Foundation
import Kafka
import TestSupport
import Testing

/// The Kafka cluster the harness started (or an external one), and kcat.
enum KafkaServer {
    static let environment = ProcessInfo.processInfo.environment
    static var bootstrap: String? { environment["COUNTERSIGN_TEST_KAFKA"] }
    /// Run when configured, and always in CI, where a missing broker is a failure.
    static var enabled: Bool { bootstrap != nil || environment["CI"] == "true" }

    /// Runs kcat with `arguments` and returns what it printed.
    static func kcat(_ arguments: [String]) throws -> String {
        try Subprocess.run("/usr/bin/kcat", arguments).output
    }
}

@Suite("Kafka client")
struct KafkaTests {
    @Test("an unknown property is refused by name, and values are never shown")
    func properties() {
        let properties = KafkaProperties(["no.such.property": "x", "sasl.password": "hunter2"])
        let error = #expect(throws: KafkaError.self) { try KafkaProducer(properties: properties) }
        #expect(error?.description.contains("no.such.property") == true)
        #expect(error?.description.contains("hunter2") == false)
        #expect(properties.description == "no.such.property=x sasl.password=<redacted>")
    }

    @Test("the mock cluster in process takes every message the producer sends")
    func inProcess() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("audit", partitions: 4)
        let producer = try KafkaProducer(properties: ["bootstrap.servers": cluster.bootstrapServers])
        for index in 0..<2_000 {
            try await producer.send(
                topic: "audit",
                key: Array("member-\(index % 17)".utf8),
                value: Array("event \(index)".utf8),
                headers: [("reason", Array("test".utf8))]
            )
        }
        try await producer.flush()
        #expect(producer.deliveries == KafkaProducer.Deliveries(delivered: 2_000, failed: 0))
        #expect(throws: KafkaError.self) { try cluster.createTopic("audit", partitions: 1) }
    }

    @Test(
        "messages produced over TCP are read back by kcat, keys and headers intact",
        .enabled(if: KafkaServer.enabled)
    )
    func overTCP() async throws {
        let bootstrap = try #require(
            KafkaServer.bootstrap,
            "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`"
        )
        let topic = "countersign-test-\(UInt32.random(in: 0...UInt32.max))"
        let producer = try KafkaProducer(properties: ["bootstrap.servers": bootstrap])
        let count = 5_000
        for index in 0..<count {
            try await producer.send(
                topic: topic,
                key: Array("k\(index)".utf8),
                value: Array("v\(index)".utf8),
                headers: [("source.partition", Array("\(index % 8)".utf8))]
            )
        }
        try await producer.flush()
        #expect(producer.deliveries.delivered == count)
        let lines = try KafkaServer.kcat(["-b", bootstrap, "-C", "-t", topic, "-e", "-q", "-f", "%k|%s|%h\n"])
            .split(separator: "\n")
        #expect(lines.count == count)
        let expected = Set((0..<count).map { "k\($0)|v\($0)|source.partition=\($0 % 8)" })
        #expect(Set(lines.map(String.init)) == expected)
    }
}
