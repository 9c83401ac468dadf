import Detection
internal import Yams

/// Reads pipeline files (YAML). `${NAME}` and `${NAME:-default}` in a value
/// are replaced from the environment (`$$` is a literal `$`); unknown keys,
/// repeated keys, wrong types and out-of-range values are errors naming the
/// file, the line and the key.
public enum PipelineFile {
    /// The `source.format` names the worker can decode.
    public static let knownFormats = ["mcp.audit/1"]

    /// `kinds` are the sinks a `sinks:` entry may name (the worker's registry).
    public static func decode(
        _ text: String,
        file: String,
        environment: [String: String],
        kinds: [any SinkKind.Type]
    ) throws(PipelineFileError) -> PipelineSpec {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        } catch {
            throw PipelineFileError(file: file, line: nil, key: nil, message: "not valid YAML")
        }
        guard let root else { throw PipelineFileError(file: file, line: nil, key: nil, message: "the file is empty") }
        var top = try YAMLObject(root, path: nil, line: nil, context: Context(file: file, environment: environment))

        try top.only(["source", "buffers", "decoder", "detectors", "ledger", "metrics", "sinks"])
        var sourceObject = try top.object("source")
        try sourceObject.only([
            "kafka", "topics", "dead_letter_topic", "batch_size", "commit_interval_ms", "shutdown_timeout_seconds",
            "format",
        ])
        var kafkaObject = try sourceObject.object("kafka")
        let kafka = try kafkaObject.stringMap()
        for required in ["bootstrap.servers", "group.id"] where kafka[required] == nil {
            throw kafkaObject.error(key: required, "required")
        }
        let topics = try sourceObject.stringList("topics")
        if topics.isEmpty { throw sourceObject.error(key: "topics", "needs at least one topic") }
        var source = PipelineSpec.Source(
            kafka: kafka,
            topics: topics,
            deadLetterTopic: try sourceObject.string("dead_letter_topic"),
            batchSize: try sourceObject.integer("batch_size", default: 1_000, in: 1...100_000),
            commitIntervalMilliseconds: try sourceObject.integer("commit_interval_ms", default: 500, in: 10...60_000),
            shutdownTimeoutSeconds: try sourceObject.integer("shutdown_timeout_seconds", default: 20, in: 2...3_600)
        )
        if let format = try sourceObject.optionalString("format") {
            guard knownFormats.contains(format) else {
                throw sourceObject.error(
                    key: "format",
                    "unknown format '\(format)'; known: \(knownFormats.joined(separator: ", "))"
                )
            }
            source.format = format
        }
        try sourceObject.finish()

        var buffers = PipelineSpec.Buffers(inFlightPerPartition: 100_000, whenFull: .pause)
        if var object = try top.optionalObject("buffers") {
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
        if var object = try top.optionalObject("decoder") {
            try object.only(["max_message_bytes", "max_depth"])
            decoder.maxMessageBytes = try object.integer("max_message_bytes", default: 1 << 20, in: 1_024...(64 << 20))
            decoder.maxDepth = try object.integer("max_depth", default: 64, in: 2...1_024)
            try object.finish()
        }

        var detection = DetectionSettings()
        var stage = PipelineSpec.DetectionStageSpec()
        if var object = try top.optionalObject("detectors") { (detection, stage) = try detectors(&object) }

        var ledger: PipelineSpec.Ledger?
        if var object = try top.optionalObject("ledger") {
            try object.only([
                "directory", "key_file", "checkpoint_every_entries", "checkpoint_interval_seconds",
                "verify_interval_seconds",
            ])
            var spec = PipelineSpec.Ledger()
            spec.directory = try object.string("directory")
            spec.keyFile = try object.string("key_file")
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
            ledger = spec
        }
        var metrics: PipelineSpec.Metrics?
        if var object = try top.optionalObject("metrics") {
            try object.only(["listen", "web_config_file", "tenant_label_limit", "tool_label_limit"])
            var spec = PipelineSpec.Metrics()
            let listen = try object.optionalString("listen") ?? "127.0.0.1:9464"
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
                (0...65_535).contains(port)
            else { throw object.error(key: "listen", "expected host:port") }
            spec.host = String(listen[..<colon])
            spec.port = port
            spec.webConfigFile = try object.optionalString("web_config_file")
            spec.tenantLabelLimit = try object.integer("tenant_label_limit", default: 100, in: 1...100_000)
            spec.toolLabelLimit = try object.integer("tool_label_limit", default: 200, in: 1...100_000)
            try object.finish()
            metrics = spec
        }

        var sinks: [SinkEntry] = []
        for var object in try top.objectList("sinks") {
            let type = try object.string("type")
            guard let kind = kinds.first(where: { $0.type == type }) else {
                throw object.error(key: "type", "expected one of: \(kinds.map { $0.type }.joined(separator: ", "))")
            }
            sinks.append(try SinkEntry.read(kind, &object))
            try object.finish()
        }
        if sinks.isEmpty { throw top.error(key: "sinks", "needs at least one sink") }
        try top.finish()
        var spec = PipelineSpec(source: source, buffers: buffers, decoder: decoder, sinks: sinks)
        spec.detection = detection
        spec.detectionStage = stage
        spec.ledger = ledger
        spec.metrics = metrics
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
