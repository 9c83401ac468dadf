import AuditEvent
import GatewayFormats
import Pipeline

/// Each topic's message format (`source.format`, `source.topic_formats`,
/// `source.mapping`): what the worker, `replay`, `decode` and `detect`
/// decode with. One instance per decoding task (formats keep parser buffers).
public final class TopicDecoders: @unchecked Sendable {
    private let standard: any MessageFormat
    private let byTopic: [String: any MessageFormat]

    /// A format name no format answers to.
    public struct UnknownFormat: Error, CustomStringConvertible {
        public var name: String
        public var description: String {
            "unknown source format '\(name)'; known: \(MessageFormats.names.joined(separator: ", "))"
        }
    }

    public init(format: String, topicFormats: [String: String] = [:], settings: FormatSettings) throws {
        standard = try MessageFormats.make(format, settings: settings)
        var byTopic: [String: any MessageFormat] = [:]
        for (topic, name) in topicFormats { byTopic[topic] = try MessageFormats.make(name, settings: settings) }
        self.byTopic = byTopic
    }

    public convenience init(_ spec: PipelineSpec) throws {
        try self.init(
            format: spec.source.format,
            topicFormats: spec.source.topicFormats,
            settings: FormatSettings(spec)
        )
    }

    public func decode(topic: String, _ bytes: [UInt8]) throws(AuditEventError) -> DecodedMessage {
        try (byTopic.isEmpty ? standard : byTopic[topic] ?? standard).decode(bytes)
    }
}

extension MessageFormats {
    /// An instance of the format called `name`.
    public static func make(_ name: String, settings: FormatSettings) throws -> any MessageFormat {
        guard let type = named(name) else { throw TopicDecoders.UnknownFormat(name: name) }
        return try type.init(settings: settings)
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
        otlpEncoding = OTLPLogsDecoder.Encoding(rawValue: spec.source.otlpEncoding) ?? .auto
    }
}
