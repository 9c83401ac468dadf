import Detection
import Logging
import Logs

/// A pipeline file, decoded: what one worker consumes, its bounds, and its sinks.
///
/// Plain values; ``PipelineFile`` reads them from YAML with every error
/// naming the file, the line and the key.
public struct PipelineSpec: Sendable {
    public struct Source: Sendable, Hashable {
        /// librdkafka properties, passed through (security settings included).
        public var kafka: [String: String]
        public var topics: [String]
        public var deadLetterTopic: String
        public var batchSize: Int
        public var commitIntervalMilliseconds: Int
        /// The longest a graceful shutdown may take (see docs/worker.md).
        public var shutdownTimeoutSeconds: Int
        /// How messages become events (`mcp.audit/1`, the default).
        public var format = "mcp.audit/1"
        /// `otlp`: `auto` (from each message's first byte), `protobuf` or `json`.
        public var otlpEncoding = "auto"
        /// Topics whose messages are in another format than `format`.
        public var topicFormats: [String: String] = [:]
        /// How gateway records become events (formats other than `mcp.audit/1`).
        public var mapping = Mapping()

        public init(
            kafka: [String: String],
            topics: [String],
            deadLetterTopic: String,
            batchSize: Int,
            commitIntervalMilliseconds: Int,
            shutdownTimeoutSeconds: Int = 20
        ) {
            self.shutdownTimeoutSeconds = shutdownTimeoutSeconds
            self.kafka = kafka
            self.topics = topics
            self.deadLetterTopic = deadLetterTopic
            self.batchSize = batchSize
            self.commitIntervalMilliseconds = commitIntervalMilliseconds
        }
    }

    /// `source.mapping`: a pipeline file's additions to a format's built-in mapping.
    public struct Mapping: Sendable, Hashable {
        /// `mcp.audit/1` field name -> record value names, read before the built-in ones.
        public var fields: [String: [String]] = [:]
        /// `source.gateway` when a record names none.
        public var gateway: String?
        /// `skip` or `dead_letter`: records that are not MCP calls.
        public var otherRecords: String?

        public init(fields: [String: [String]] = [:], gateway: String? = nil, otherRecords: String? = nil) {
            self.fields = fields
            self.gateway = gateway
            self.otherRecords = otherRecords
        }
    }

    /// What happens when a bound is reached.
    public enum WhenFull: String, Sendable, Hashable, CaseIterable {
        /// Stop consuming until room frees up; never lose an event.
        case pause
    }

    public struct Buffers: Sendable, Hashable {
        /// Most unacknowledged messages per partition; a partition that
        /// reaches it is paused (`whenFull`) until acknowledgements free room.
        public var inFlightPerPartition: Int
        public var whenFull: WhenFull
        /// Most batches between the source and the sinks at once.
        public var batchesInFlight: Int

        public init(inFlightPerPartition: Int, whenFull: WhenFull, batchesInFlight: Int = 4) {
            self.inFlightPerPartition = inFlightPerPartition
            self.whenFull = whenFull
            self.batchesInFlight = batchesInFlight
        }
    }

    public struct Decoder: Sendable, Hashable {
        public var maxMessageBytes: Int
        public var maxDepth: Int

        public init(maxMessageBytes: Int, maxDepth: Int) {
            self.maxMessageBytes = maxMessageBytes
            self.maxDepth = maxDepth
        }
    }

    public var source: Source
    public var buffers: Buffers
    public var decoder: Decoder
    /// The `sinks:` entries, each read by its kind (``SinkKind``).
    public var sinks: [SinkEntry]
    /// The `detectors:` section (defaults when absent).
    public var detection = DetectionSettings()
    /// How the worker runs detection: on or off, where alerts also go, and
    /// where per-partition state snapshots are kept.
    public var detectionStage = DetectionStageSpec()

    /// The `ledger:` section: where raw messages are mirrored; nil runs no ledger.
    public var ledger: Ledger?
    /// The `metrics:` section: the Prometheus endpoint; nil serves none.
    public var metrics: Metrics?
    public var log = Log()

    public struct Metrics: Sendable, Hashable {
        public var host = "127.0.0.1"
        public var port = 9464
        public var webConfigFile: String?
        public var tenantLabelLimit = 100
        public var toolLabelLimit = 200
        public init() {}
    }

    public struct Ledger: Sendable, Hashable {
        /// A local directory for the archive (one host); empty when `s3` is set.
        public var directory = ""
        /// The archive in an S3 bucket with Object Lock, instead of a directory.
        public var s3: S3?
        /// The signer key file (its key name is the log's origin).
        public var keyFile = ""
        public var checkpointEveryEntries = 100_000
        public var checkpointIntervalSeconds = 10.0
        /// A full verification this often (0: never).
        public var verifyIntervalSeconds = 3_600.0
        public init() {}

        /// Where the bucket is and how to reach it.
        public struct S3: Sendable, Hashable {
            public var bucket = ""
            public var prefix = ""
            public var endpoint = ""
            public var region = "us-east-1"
            public var accessKey = ""
            public var secretKey = ""
            public var caFile: String?
            /// The least default COMPLIANCE retention the bucket must enforce, in days.
            public var retentionDays = 0
            public init() {}
        }
    }

    /// The `log:` section: what is written and how (flags of `run` override it).
    public struct Log: Sendable, Hashable {
        public var level = Logger.Level.info
        public var format = LogFormat.text

        public init() {}
    }

    public struct DetectionStageSpec: Sendable, Hashable {
        public var enabled = true
        /// A Kafka topic that receives every alert as an mcp.audit/1 event, keyed by member.
        public var alertsTopic: String?
        /// Where per-partition detection state is kept between owners; none keeps it in memory only.
        public var stateStore: StateStore?
        public var snapshotIntervalSeconds = 30
        public init() {}
    }

    /// Where detection state waits between a partition's owners.
    public enum StateStore: Sendable, Hashable {
        /// One file per partition in a local directory: workers on one host.
        case directory(String)
        /// The `detection_state` tables of a PostgreSQL database, shared by
        /// workers on every host; nil: the postgres sink's connection string.
        case postgres(conninfo: String?)
    }

    public init(source: Source, buffers: Buffers, decoder: Decoder, sinks: [SinkEntry]) {
        self.source = source
        self.buffers = buffers
        self.decoder = decoder
        self.sinks = sinks
    }
}
