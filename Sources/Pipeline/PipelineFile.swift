import Detection
import GatewayFormats
internal import Yams

/// Reads pipeline files (YAML). `${NAME}` and `${NAME:-default}` in a value
/// are replaced from the environment (`$$` is a literal `$`); unknown keys,
/// repeated keys, wrong types and out-of-range values are errors naming the
/// file, the line and the key.
public enum PipelineFile {
    /// The `source.format` names the worker can decode.
    public static let knownFormats = ["mcp.audit/1"] + GatewayFormat.allCases.map(\.rawValue)

    /// `kinds` are the sinks a `sinks:` entry may name (the worker's
    /// registry); `checks` look outside the file (librdkafka, named files).
    /// Throws the first problem in line order; ``diagnose(_:file:environment:kinds:checks:)``
    /// returns them all.
    public static func decode(
        _ text: String,
        file: String,
        environment: [String: String],
        kinds: [any SinkKind.Type],
        checks: PipelineChecks = .none
    ) throws(PipelineFileError) -> PipelineSpec {
        let (spec, errors) = diagnose(text, file: file, environment: environment, kinds: kinds, checks: checks)
        if let first = errors.first { throw first }
        return spec!
    }

    /// The spec when the file is valid, and every problem found, in line
    /// order: reading goes on past a problem wherever a default lets it.
    public static func diagnose(
        _ text: String,
        file: String,
        environment: [String: String],
        kinds: [any SinkKind.Type],
        checks: PipelineChecks = .none
    ) -> (spec: PipelineSpec?, errors: [PipelineFileError]) {
        var context = Context(file: file, environment: environment)
        context.checks = checks
        return read(text, context: context, kinds: kinds)
    }

    static func read(
        _ text: String,
        context: Context,
        kinds: [any SinkKind.Type]
    ) -> (spec: PipelineSpec?, errors: [PipelineFileError]) {
        let diagnostics = context.diagnostics
        let spec = diagnostics.attempt { () throws(PipelineFileError) -> PipelineSpec? in
            try readSpec(text, context: context, kinds: kinds)
        }
        let errors = diagnostics.sorted
        return (errors.isEmpty ? spec ?? nil : nil, errors)
    }

    /// Reads section by section; a section that cannot be read is recorded
    /// and the next one is read all the same. Nil when a section failed.
    private static func readSpec(
        _ text: String,
        context: Context,
        kinds: [any SinkKind.Type]
    ) throws(PipelineFileError) -> PipelineSpec? {
        let file = context.file
        let diagnostics = context.diagnostics
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        } catch {
            throw PipelineFileError(file: file, line: nil, key: nil, message: "not valid YAML")
        }
        guard let root else { throw PipelineFileError(file: file, line: nil, key: nil, message: "the file is empty") }
        var top = try YAMLObject(root, path: nil, line: nil, context: context)

        try top.only(["source", "buffers", "decoder", "detectors", "ledger", "metrics", "log", "sinks"])
        let source = diagnostics.attempt { () throws(PipelineFileError) -> PipelineSpec.Source in
            var object = try top.object("source")
            return try sourceSection(&object)
        }

        var buffers = PipelineSpec.Buffers(inFlightPerPartition: 100_000, whenFull: .pause)
        diagnostics.attempt { () throws(PipelineFileError) in
            guard var object = try top.optionalObject("buffers") else { return }
            try object.only(["in_flight_per_partition", "when_full", "batches_in_flight"])
            buffers.batchesInFlight = try object.integer("batches_in_flight", default: 4, in: 1...64)
            buffers.inFlightPerPartition = try object.integer(
                "in_flight_per_partition",
                default: 100_000,
                in: 1...10_000_000
            )
            buffers.whenFull = try object.enumeration("when_full", default: .pause)
            try object.finish()
        }

        var decoder = PipelineSpec.Decoder(maxMessageBytes: 1 << 20, maxDepth: 64)
        diagnostics.attempt { () throws(PipelineFileError) in
            guard var object = try top.optionalObject("decoder") else { return }
            try object.only(["max_message_bytes", "max_depth"])
            decoder.maxMessageBytes = try object.integer("max_message_bytes", default: 1 << 20, in: 1_024...(64 << 20))
            decoder.maxDepth = try object.integer("max_depth", default: 64, in: 2...1_024)
            try object.finish()
        }

        var detection = DetectionSettings()
        var stage = PipelineSpec.DetectionStageSpec()
        diagnostics.attempt { () throws(PipelineFileError) in
            guard var object = try top.optionalObject("detectors") else { return }
            (detection, stage) = try detectors(&object, source: source)
        }
        let ledger = diagnostics.attempt { () throws(PipelineFileError) -> PipelineSpec.Ledger? in
            guard var object = try top.optionalObject("ledger") else { return nil }
            return try ledgerSection(&object)
        }
        let metrics = diagnostics.attempt { () throws(PipelineFileError) -> PipelineSpec.Metrics? in
            guard var object = try top.optionalObject("metrics") else { return nil }
            return try metricsSection(&object)
        }
        var log = PipelineSpec.Log()
        diagnostics.attempt { () throws(PipelineFileError) in
            guard var object = try top.optionalObject("log") else { return }
            try object.only(["level", "format"])
            log.level = try object.enumeration("level", default: log.level)
            log.format = try object.enumeration("format", default: log.format)
            try object.finish()
        }

        var sinks: [SinkEntry] = []
        var sinksRead = true
        let entries = diagnostics.attempt { () throws(PipelineFileError) in try top.objectList("sinks") }
        for var object in entries ?? [] {
            let entry = diagnostics.attempt { () throws(PipelineFileError) -> SinkEntry in
                let type = try object.string("type")
                guard let kind = kinds.first(where: { $0.type == type }) else {
                    let names = kinds.map { $0.type }
                    let hint = closest(to: type, in: names).map { "; did you mean '\($0)'?" } ?? ""
                    throw object.error(key: "type", "expected one of: \(names.joined(separator: ", "))" + hint)
                }
                let entry = try SinkEntry.read(kind, &object)
                try object.finish()
                return entry
            }
            if let entry { sinks.append(entry) } else { sinksRead = false }
        }
        if entries != nil && entries!.isEmpty { top.note(top.error(key: "sinks", "needs at least one sink")) }
        try top.finish()

        guard let source, sinksRead, entries != nil, ledger != nil || !top.has("ledger"),
            metrics != nil || !top.has("metrics")
        else { return nil }
        var spec = PipelineSpec(source: source, buffers: buffers, decoder: decoder, sinks: sinks)
        spec.detection = detection
        spec.detectionStage = stage
        spec.ledger = ledger ?? nil
        spec.metrics = metrics ?? nil
        spec.log = log
        return spec
    }

    private static func sourceSection(_ object: inout YAMLObject) throws(PipelineFileError) -> PipelineSpec.Source {
        try object.only([
            "kafka", "topics", "dead_letter_topic", "batch_size", "commit_interval_ms", "shutdown_timeout_seconds",
            "format", "topic_formats", "mapping", "otlp_encoding",
        ])
        var kafkaObject = try object.object("kafka")
        let kafka = try kafkaObject.stringMap()
        for required in ["bootstrap.servers", "group.id"] where kafka[required] == nil {
            kafkaObject.note(kafkaObject.error(key: required, "required"))
        }
        for (key, reason) in object.context.checks.kafkaProperties(kafka) {
            let hint = reason.hasPrefix("librdkafka has no property") ? didYouMean(kafkaProperty: key) : ""
            kafkaObject.note(kafkaObject.error(key: key, reason + hint))
        }
        for (key, path) in kafka where fileProperty(key) && path != "probe" {
            kafkaObject.checkFile(path, key: key)
        }
        let topics = try object.stringList("topics")
        if topics.isEmpty { object.note(object.error(key: "topics", "needs at least one topic")) }
        let deadLetterTopic = try object.string("dead_letter_topic")
        if topics.contains(deadLetterTopic) {
            object.note(
                object.error(
                    key: "dead_letter_topic",
                    "is a consumed topic: dead letters would be read back as events (a feedback loop)"
                )
            )
        }
        var source = PipelineSpec.Source(
            kafka: kafka,
            topics: topics,
            deadLetterTopic: deadLetterTopic,
            batchSize: try object.integer("batch_size", default: 1_000, in: 1...100_000),
            commitIntervalMilliseconds: try object.integer("commit_interval_ms", default: 500, in: 10...60_000),
            shutdownTimeoutSeconds: try object.integer("shutdown_timeout_seconds", default: 20, in: 2...3_600)
        )
        if let format = try object.optionalString("format") {
            if let known = checkFormat(format, key: "format", in: object) { source.format = known }
        }
        if var formats = try object.optionalObject("topic_formats") {
            for (topic, values, line) in try formats.stringListMap() {
                guard values.count == 1 else {
                    formats.note(formats.error(key: topic, "expected one format name", line: line))
                    continue
                }
                if !topics.contains(topic) {
                    formats.note(formats.error(key: topic, "is not one of source.topics", line: line))
                }
                if let known = checkFormat(values[0], key: topic, in: formats) { source.topicFormats[topic] = known }
            }
        }
        source.otlpEncoding = try object.enumeration("otlp_encoding", default: OTLPLogsDecoder.Encoding.auto).rawValue
        if var mapping = try object.optionalObject("mapping") {
            source.mapping = try mappingSection(&mapping)
        }
        try object.finish()
        return source
    }

    private static func checkFormat(_ format: String, key: String, in object: YAMLObject) -> String? {
        if knownFormats.contains(format) { return format }
        let hint = closest(to: format, in: knownFormats).map { "; did you mean '\($0)'?" } ?? ""
        object.note(
            object.error(key: key, "unknown format '\(format)'; known: \(knownFormats.joined(separator: ", "))" + hint)
        )
        return nil
    }

    private static func mappingSection(_ object: inout YAMLObject) throws(PipelineFileError) -> PipelineSpec.Mapping {
        try object.only(["fields", "gateway", "other_records"])
        var mapping = PipelineSpec.Mapping()
        mapping.gateway = try object.optionalString("gateway")
        mapping.otherRecords = try object.enumeration("other_records", default: FieldMapping.OtherRecords.skip).rawValue
        if var fields = try object.optionalObject("fields") {
            for (field, names, line) in try fields.stringListMap() {
                guard EventField(rawValue: field) != nil else {
                    let hint = closest(to: field, in: EventField.names).map { "; did you mean '\($0)'?" } ?? ""
                    fields.note(
                        fields.error(key: field, "is not an mcp.audit/1 field a mapping can fill" + hint, line: line)
                    )
                    continue
                }
                if names.isEmpty || names.contains(where: \.isEmpty) {
                    fields.note(fields.error(key: field, "needs one or more record value names", line: line))
                    continue
                }
                mapping.fields[field] = names
            }
        }
        try object.finish()
        return mapping
    }

    /// librdkafka properties that name a file read at start-up (certificates,
    /// keys, keytabs); `ssl.ca.location: probe` is a keyword, not a path.
    static func fileProperty(_ key: String) -> Bool {
        (key.hasPrefix("ssl.") && key.hasSuffix(".location")) || key == "sasl.kerberos.keytab"
    }

    /// Common librdkafka properties, for a hint when one is misspelt.
    static let commonKafkaProperties = [
        "bootstrap.servers", "group.id", "client.id", "security.protocol", "sasl.mechanism", "sasl.mechanisms",
        "sasl.username", "sasl.password", "ssl.ca.location", "ssl.certificate.location", "ssl.key.location",
        "ssl.key.password", "ssl.endpoint.identification.algorithm", "session.timeout.ms",
        "heartbeat.interval.ms", "max.poll.interval.ms", "auto.offset.reset", "enable.auto.commit",
        "enable.auto.offset.store", "fetch.max.bytes", "max.partition.fetch.bytes", "fetch.min.bytes",
        "fetch.wait.max.ms", "queued.max.messages.kbytes", "queued.min.messages", "partition.assignment.strategy",
        "group.instance.id", "isolation.level", "statistics.interval.ms", "socket.timeout.ms",
        "message.max.bytes", "debug", "log_level", "client.rack", "metadata.max.age.ms",
        "topic.metadata.refresh.interval.ms",
        "reconnect.backoff.ms", "reconnect.backoff.max.ms", "retry.backoff.ms", "check.crcs", "broker.address.family",
    ]

    static func didYouMean(kafkaProperty key: String) -> String {
        closest(to: key, in: commonKafkaProperties).map { "; did you mean '\($0)'?" } ?? ""
    }

    private static func ledgerSection(_ object: inout YAMLObject) throws(PipelineFileError) -> PipelineSpec.Ledger {
        try object.only([
            "directory", "s3", "key_file", "checkpoint_every_entries", "checkpoint_interval_seconds",
            "verify_interval_seconds",
        ])
        var spec = PipelineSpec.Ledger()
        let directory = try object.optionalString("directory")
        if var s3 = try object.optionalObject("s3") {
            try s3.only([
                "bucket", "prefix", "endpoint", "region", "access_key", "secret_key", "ca_file", "retention_days",
            ])
            var bucket = PipelineSpec.Ledger.S3()
            bucket.bucket = try s3.string("bucket")
            bucket.prefix = try s3.optionalString("prefix") ?? ""
            bucket.endpoint = try s3.string("endpoint")
            bucket.region = try s3.optionalString("region") ?? "us-east-1"
            bucket.accessKey = try s3.string("access_key")
            bucket.secretKey = try s3.string("secret_key")
            bucket.caFile = try s3.optionalFile("ca_file")
            bucket.retentionDays = try s3.integer("retention_days", default: 2_555, in: 1...36_500)
            try s3.finish()
            spec.s3 = bucket
        }
        switch (directory, spec.s3) {
        case (let directory?, nil): spec.directory = directory
        case (nil, _?): break
        case (_?, _?): throw object.error(key: "s3", "give ledger.directory or ledger.s3, not both")
        case (nil, nil): throw object.error(key: nil, "give ledger.directory or ledger.s3")
        }
        spec.keyFile = try object.file("key_file")
        spec.checkpointEveryEntries = try object.integer(
            "checkpoint_every_entries",
            default: 100_000,
            in: 1...100_000_000
        )
        spec.checkpointIntervalSeconds = try object.number(
            "checkpoint_interval_seconds",
            default: 10,
            in: 0.1...86_400
        )
        spec.verifyIntervalSeconds = try object.number(
            "verify_interval_seconds",
            default: 3_600,
            in: 0...(30 * 86_400)
        )
        try object.finish()
        return spec
    }

    private static func metricsSection(_ object: inout YAMLObject) throws(PipelineFileError) -> PipelineSpec.Metrics {
        try object.only(["listen", "web_config_file", "tenant_label_limit", "tool_label_limit"])
        var spec = PipelineSpec.Metrics()
        let listen = try object.optionalString("listen") ?? "127.0.0.1:9464"
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65_535).contains(port)
        else { throw object.error(key: "listen", "expected host:port") }
        spec.host = String(listen[..<colon])
        spec.port = port
        spec.webConfigFile = try object.optionalFile("web_config_file")
        spec.tenantLabelLimit = try object.integer("tenant_label_limit", default: 100, in: 1...100_000)
        spec.toolLabelLimit = try object.integer("tool_label_limit", default: 200, in: 1...100_000)
        try object.finish()
        return spec
    }

    /// A YAML syntax error with its position and libyaml's problem, but never
    /// Yams's context snippet: that quotes the file, values and secrets included.
    private static func syntaxError(_ error: YamlError, file: String) -> PipelineFileError {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            return PipelineFileError(
                file: file,
                line: context.mark.line,
                key: duplicates.first,
                message: "appears twice"
            )
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return PipelineFileError(file: file, line: mark.line, key: nil, message: "not valid YAML: \(problem)")
        case .reader(let problem, _, _, _):
            return PipelineFileError(file: file, line: nil, key: nil, message: "not readable: \(problem)")
        default:
            return PipelineFileError(file: file, line: nil, key: nil, message: "not valid YAML")
        }
    }
}
