import ArgumentParser
import Foundation
import Kafka
import Logging
import ServiceLifecycle

/// `countersign dev-broker`: a Kafka-protocol broker on loopback for development and tests.
struct DevBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-broker",
        abstract: "Run librdkafka's mock Kafka cluster on loopback until signalled.",
        discussion: """
            Prints the bootstrap address, creates the topics asked for and serves the Kafka \
            protocol over TCP, so kcat or another worker can connect. Messages live in memory \
            (at most about 100,000 or 5 MB per partition); stop it with SIGINT or SIGTERM.
            """
    )

    @Option(
        name: .customLong("topic"),
        help: ArgumentHelp(
            "A topic to create, as NAME or NAME:PARTITIONS (repeatable).",
            valueName: "name[:partitions]"
        )
    )
    var topics: [String] = ["mcp.audit:8", "mcp.audit.dead-letter:1"]

    @Option(help: "Number of brokers in the cluster.")
    var brokers: Int = 1

    @Option(help: "Also write the bootstrap address to this file (for scripts).")
    var bootstrapFile: String?

    @OptionGroup var log: LogOptions

    func validate() throws {
        guard brokers > 0 else { throw ValidationError("--brokers must be at least 1") }
        _ = try parsedTopics()
    }

    func run() async throws {
        log.bootstrap()
        let cluster = try MockCluster(brokers: brokers)
        for (name, partitions) in try parsedTopics() {
            try cluster.createTopic(name, partitions: partitions)
        }
        print("dev-broker: bootstrap.servers=\(cluster.bootstrapServers)")
        for (name, partitions) in try parsedTopics() {
            print("dev-broker: topic \(name) with \(partitions) partition\(partitions == 1 ? "" : "s")")
        }
        // Scripts read the address from a pipe or a file: do not leave it in a
        // buffer (fflush(nil) flushes every output stream, stdout among them).
        fflush(nil)
        if let bootstrapFile {
            try (cluster.bootstrapServers + "\n").write(toFile: bootstrapFile, atomically: true, encoding: .utf8)
        }
        let logger = Logger(label: "countersign.dev-broker")
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: DevBrokerService(cluster: cluster))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        print("dev-broker: stopped")
    }

    private func parsedTopics() throws -> [(String, Int)] {
        try topics.map { text in
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, let name = parts.first, !name.isEmpty else {
                throw ValidationError("--topic '\(text)': expected NAME or NAME:PARTITIONS")
            }
            guard parts.count == 2 else { return (String(name), 1) }
            guard let partitions = Int(parts[1]), partitions > 0 else {
                throw ValidationError("--topic '\(text)': the partition count must be a positive integer")
            }
            return (String(name), partitions)
        }
    }
}

/// Keeps the mock cluster alive until the service group shuts down.
struct DevBrokerService: Service {
    let cluster: MockCluster

    func run() async throws {
        try await gracefulShutdown()
        withExtendedLifetime(cluster) {}
    }
}
