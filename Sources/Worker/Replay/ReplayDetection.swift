import AuditEvent
import Detection
import GatewayFormats
import Pipeline

/// Detection for `countersign replay`: the worker's own stage (one engine
/// per partition, fed in offset order, exactly once), without a state
/// store, so that a replay of what `run` consumed raises what `run` raised.
public final class ReplayDetection {
    private let stage: DetectionStage

    public init(settings: DetectionSettings) {
        stage = DetectionStage(settings: settings, store: nil)
    }

    /// Feeds events (each partition's in offset order); returns the alerts they raised.
    public func process(_ events: [ConsumedEvent]) -> [Alert] { stage.process(events) }

    /// Events older than their engine's watermark so far (judged by no detector).
    public var lateEvents: Int { stage.lateEvents }
}

/// Each topic's message format, as a pipeline file sets them
/// (`source.format`, `source.topic_formats`, `source.mapping`).
public final class TopicDecoders {
    private let standard: any MessageFormat
    private let byTopic: [String: any MessageFormat]

    public init(_ spec: PipelineSpec) throws {
        let settings = FormatSettings(spec)
        func make(_ name: String) throws -> any MessageFormat {
            guard let type = MessageFormats.named(name) else {
                throw AuditEventError(.internalError, reason: "unknown format '\(name)'")
            }
            return try type.init(settings: settings)
        }
        standard = try make(spec.source.format)
        var byTopic: [String: any MessageFormat] = [:]
        for (topic, name) in spec.source.topicFormats { byTopic[topic] = try make(name) }
        self.byTopic = byTopic
    }

    public func decode(topic: String, _ bytes: [UInt8]) throws(AuditEventError) -> DecodedMessage {
        try (byTopic[topic] ?? standard).decode(bytes)
    }
}

extension FormatSettings {
    /// The decoder limits and mapping of a pipeline file.
    public init(_ spec: PipelineSpec) {
        var fields: [EventField: [String]] = [:]
        for (name, values) in spec.source.mapping.fields {
            if let field = EventField(rawValue: name) { fields[field] = values }
        }
        self.init(
            limits: .init(maxMessageBytes: spec.decoder.maxMessageBytes, maxDepth: spec.decoder.maxDepth),
            fields: fields,
            gateway: spec.source.mapping.gateway,
            otherRecords: spec.source.mapping.otherRecords.flatMap { FieldMapping.OtherRecords(rawValue: $0) }
        )
    }
}
