import CRdKafka

/// The partition librdkafka's default partitioner gives a keyed message
/// (`consistent_random`: CRC-32 of the key modulo the partition count), so
/// that offline tools can group events as a topic keyed that way holds them.
public enum KafkaPartitioner {
    public static func partition(key: [UInt8], partitions: Int32) -> Int32 {
        precondition(partitions > 0, "a topic has at least one partition")
        return key.withUnsafeBytes { bytes in
            rd_kafka_msg_partitioner_consistent(nil, bytes.baseAddress, bytes.count, partitions, nil, nil)
        }
    }
}
