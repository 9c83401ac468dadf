import CRdKafka

/// librdkafka's mock Kafka cluster: real Kafka protocol on loopback TCP,
/// with topics, partitions, produce, fetch, consumer groups and offset
/// commits, for development and tests (no Apache Kafka needed).
///
/// Owns the cluster and the client handle that hosts it; both are freed in
/// `deinit`. Other processes (kcat, another worker) connect through
/// ``bootstrapServers``. The mock keeps at most about 100,000 messages or
/// 5 MB per partition, so large runs need many partitions.
public final class MockCluster: @unchecked Sendable {
    private let host: OpaquePointer
    private let cluster: OpaquePointer
    /// Comma-separated `host:port` list for `bootstrap.servers`.
    public let bootstrapServers: String

    public init(brokers: Int = 1) throws(KafkaError) {
        guard brokers > 0 else { throw KafkaError(code: "mock", reason: "a cluster needs at least one broker") }
        let host = try KafkaProperties(["log_level": "3"])
            .makeClient(RD_KAFKA_PRODUCER, role: "client that hosts the mock cluster")
        guard let cluster = rd_kafka_mock_cluster_new(host, Int32(brokers)) else {
            rd_kafka_destroy(host)
            throw KafkaError(code: "mock", reason: "could not start the mock cluster")
        }
        self.host = host
        self.cluster = cluster
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(host)
    }

    /// Creates a topic; creating one that exists is an error from the mock.
    public func createTopic(_ name: String, partitions: Int) throws(KafkaError) {
        guard partitions > 0 else { throw KafkaError(code: "mock", reason: "a topic needs at least one partition") }
        let result = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), 1)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(result, while: "creating topic '\(name)'")
        }
    }
}
