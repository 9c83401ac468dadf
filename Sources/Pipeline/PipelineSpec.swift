import Detection

/// A pipeline file, decoded: what one worker consumes, its bounds, and its sinks.
///
/// Plain values; ``PipelineFile`` reads them from YAML with every error
/// naming the file, the line and the key.
public struct PipelineSpec: Sendable, Hashable {
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

    /// One sink and its settings.
    public enum Sink: Sendable, Hashable {
        /// Acknowledges everything; for benchmarks.
        case null
        /// Counts events by tenant, tool and outcome; prints them at shutdown.
        case summary
        /// Appends each acknowledged event as one line of JSON to a file,
        /// flushed to disk before the batch is acknowledged.
        case jsonl(path: String)
        /// The PostgreSQL hot tier.
        case postgres(Postgres)
        /// CEF over syslog to a SIEM collector.
        case siem(SIEM)

        /// The `type` names of the pipeline file.
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            case null, summary, jsonl, postgres, siem
        }

        public var kind: Kind {
            switch self {
            case .null: .null
            case .summary: .summary
            case .jsonl: .jsonl
            case .postgres: .postgres
            case .siem: .siem
            }
        }

        public struct SIEM: Sendable, Hashable {
            public enum Transport: String, Sendable, Hashable, CaseIterable { case udp, tcp, tls }
            public enum Framing: String, Sendable, Hashable, CaseIterable {
                case octetCounting = "octet_counting"
                case lf
            }
            public enum Format: String, Sendable, Hashable, CaseIterable { case rfc5424, rfc3164 }
            public enum Selection: String, Sendable, Hashable, CaseIterable { case alerts, all }

            public var host = "127.0.0.1"
            public var port = 514
            public var transport = Transport.tcp
            public var framing = Framing.octetCounting
            public var format = Format.rfc5424
            public var facility = 13
            public var hostname = "-"
            public var byteOrderMark = true
            public var send = Selection.alerts
            public var maxMessageBytes: Int?
            /// Events sent when `send` is `all`: lists of allowed values
            /// (keys kinds, statuses, tenants, tools); nil sends every event.
            public var filter: [String: [String]]?
            public var tls = TLS()
            public var spool: Spool?
            public var replayWindowSeconds = 2.0
            public var reconnectMaxSeconds = 30.0
            public init() {}

            public struct TLS: Sendable, Hashable {
                public var caFile: String?
                public var certificateFile: String?
                public var keyFile: String?
                public var serverName: String?
                public var verify = true
                public init() {}
            }

            public struct Spool: Sendable, Hashable {
                public enum WhenFull: String, Sendable, Hashable, CaseIterable {
                    case block
                    case dropNewest = "drop_newest"
                    case dropOldest = "drop_oldest"
                }
                public var directory = ""
                public var maxBytes = 256 << 20
                public var whenFull = WhenFull.block
                public init() {}
            }
        }

        public struct Postgres: Sendable, Hashable {
            /// libpq connection string (PG* variables fill what it leaves out).
            public var conninfo = ""
            public var retentionDays = 90
            public var partitionsAheadDays = 7
            public var maintenanceIntervalSeconds = 3_600
            /// Parallel writer connections.
            public var writers = 2
            public init() {}
        }
    }

    public var source: Source
    public var buffers: Buffers
    public var decoder: Decoder
    public var sinks: [Sink]
    /// The `detectors:` section (defaults when absent).
    public var detection = DetectionSettings()
    /// How the worker runs detection: on or off, where alerts also go, and
    /// where per-partition state snapshots are kept.
    public var detectionStage = DetectionStageSpec()

    /// The `ledger:` section: where raw messages are mirrored; nil runs no ledger.
    public var ledger: Ledger?
    /// The `metrics:` section: the Prometheus endpoint; nil serves none.
    public var metrics: Metrics?

    public struct Metrics: Sendable, Hashable {
        public var host = "127.0.0.1"
        public var port = 9464
        public var webConfigFile: String?
        public var tenantLabelLimit = 100
        public var toolLabelLimit = 200
        public init() {}
    }

    public struct Ledger: Sendable, Hashable {
        public var directory = ""
        /// The signer key file (its key name is the log's origin).
        public var keyFile = ""
        public var checkpointEveryEntries = 100_000
        public var checkpointIntervalSeconds = 10.0
        /// A full verification this often (0: never).
        public var verifyIntervalSeconds = 3_600.0
        public init() {}
    }

    public struct DetectionStageSpec: Sendable, Hashable {
        public var enabled = true
        /// A Kafka topic that receives every alert as an mcp.audit/1 event, keyed by member.
        public var alertsTopic: String?
        /// A directory for per-partition detection snapshots; none keeps state in memory only.
        public var stateDirectory: String?
        public var snapshotIntervalSeconds = 30
        public init() {}
    }

    public init(source: Source, buffers: Buffers, decoder: Decoder, sinks: [Sink]) {
        self.source = source
        self.buffers = buffers
        self.decoder = decoder
        self.sinks = sinks
    }
}
