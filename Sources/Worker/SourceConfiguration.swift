import AuditDecoder
import Detection
import Kafka
import Pipeline

/// How the worker consumes: the cluster, the topics, and the bounds that keep
/// memory flat whatever the input rate.
public struct SourceConfiguration: Sendable {
    /// librdkafka properties: at least `bootstrap.servers` and `group.id`;
    /// security properties pass through to the consumer and the dead-letter producer.
    public var kafka: KafkaProperties
    public var topics: [String]
    /// Where undecodable messages go, unchanged, with headers saying why.
    public var deadLetterTopic: String
    /// Most messages taken from the consumer and handed to the sinks at once.
    public var batchSize: Int
    /// Most unacknowledged messages per partition: a partition that
    /// reaches it is paused until acknowledgements free room.
    public var maxInFlightPerPartition: Int
    /// Most batches between the source and the sinks at once: while the
    /// sinks write some, the next is decoded, mirrored and run through
    /// detection. Memory stays bounded by this many batches.
    public var maxBatchesInFlight: Int
    /// The `source.format` name (``MessageFormats``).
    public var format: String
    /// Topics in another format than `format`.
    public var topicFormats: [String: String] = [:]
    /// The pipeline file's additions to gateway formats' mappings.
    public var mapping = FormatSettings()
    /// Commit acknowledged offsets at least this often while consuming.
    public var commitIntervalMilliseconds: Int
    /// First and longest wait between attempts when a sink fails.
    public var retryBackoffMilliseconds: ClosedRange<Int>
    public var decoderLimits: AuditEventDecoder.Limits
    /// Detection settings; nil runs no detection.
    public var detection: DetectionSettings?
    /// A topic that receives every alert too (produced before the batch is acknowledged).
    public var alertsTopic: String?
    /// Where per-partition detection state is kept between owners; nil keeps it in memory only.
    public var stateStore: PipelineSpec.StateStore?
    public var snapshotIntervalSeconds: Int
    /// The ledger every raw message is mirrored into; nil runs none.
    public var ledger: LedgerConfiguration?
    /// The longest a graceful shutdown may take. A batch a sink or the
    /// ledger keeps refusing is given up halfway through (left uncommitted,
    /// read again at the next start), so that what was acknowledged is still
    /// committed; ``ShutdownSignals`` exits the process at the bound.
    public var shutdownTimeout: Duration

    public init(
        kafka: KafkaProperties,
        topics: [String],
        deadLetterTopic: String,
        batchSize: Int = 1_000,
        maxInFlightPerPartition: Int = 100_000,
        maxBatchesInFlight: Int = 4,
        format: String = MCPAuditFormat.name,
        commitIntervalMilliseconds: Int = 500,
        retryBackoffMilliseconds: ClosedRange<Int> = 100...5_000,
        decoderLimits: AuditEventDecoder.Limits = .init(),
        detection: DetectionSettings? = nil,
        alertsTopic: String? = nil,
        stateStore: PipelineSpec.StateStore? = nil,
        snapshotIntervalSeconds: Int = 30,
        ledger: LedgerConfiguration? = nil,
        shutdownTimeout: Duration = .seconds(20)
    ) {
        self.kafka = kafka
        self.topics = topics
        self.deadLetterTopic = deadLetterTopic
        self.batchSize = batchSize
        self.maxInFlightPerPartition = maxInFlightPerPartition
        self.maxBatchesInFlight = maxBatchesInFlight
        self.format = format
        self.commitIntervalMilliseconds = commitIntervalMilliseconds
        self.retryBackoffMilliseconds = retryBackoffMilliseconds
        self.decoderLimits = decoderLimits
        self.detection = detection
        self.alertsTopic = alertsTopic
        self.stateStore = stateStore
        self.snapshotIntervalSeconds = snapshotIntervalSeconds
        self.ledger = ledger
        self.shutdownTimeout = shutdownTimeout
    }

    /// `retryBackoffMilliseconds` as durations.
    var retryBackoff: ClosedRange<Duration> {
        .milliseconds(retryBackoffMilliseconds.lowerBound) ... .milliseconds(retryBackoffMilliseconds.upperBound)
    }

    /// The connection and security subset of `kafka`, for the dead-letter
    /// producer, whose size limit follows the decoder's: any message the
    /// source hands over must fit (librdkafka's default is 1,000,000 bytes,
    /// under the decoder's default of 1 MiB), with room for key and headers.
    var producerProperties: KafkaProperties {
        let prefixes = ["bootstrap.servers", "security.", "sasl.", "ssl.", "client.id", "socket.", "broker."]
        var properties = KafkaProperties(kafka.values.filter { key, _ in prefixes.contains { key.hasPrefix($0) } })
        properties["message.max.bytes"] = String(max(1_000_000, decoderLimits.maxMessageBytes + 65_536))
        return properties
    }
}
