import AuditEvent
import GatewayFormats

/// A gateway format (GatewayFormats) with its built-in mapping and the
/// pipeline file's additions.
public protocol GatewayMessageFormat: MessageFormat {
    static var format: GatewayFormat { get }
    var decoder: GatewayDecoder { get }
    init(decoder: GatewayDecoder)
}

extension GatewayMessageFormat {
    public static var name: String { format.rawValue }

    public init(settings: FormatSettings) throws(AuditEventError) {
        let mapping = FieldMapping.builtIn(for: Self.format).overridden(
            by: settings.fields,
            gateway: settings.gateway,
            otherRecords: settings.otherRecords
        )
        self.init(
            decoder: try GatewayDecoder(
                format: Self.format,
                mapping: mapping,
                limits: settings.limits,
                otlpEncoding: settings.otlpEncoding
            )
        )
    }

    public func decode(_ value: [UInt8]) throws(AuditEventError) -> DecodedMessage {
        try decoder.decode(value)
    }
}

/// `otlp`: OTLP logs export requests (protobuf or JSON), one message = many records.
public struct OTLPFormat: GatewayMessageFormat {
    public static let format = GatewayFormat.otlp
    public let decoder: GatewayDecoder
    public init(decoder: GatewayDecoder) { self.decoder = decoder }
}

/// `hangar-jsonl`: MCP Hangar's JSON-lines compliance export, a line per message.
public struct HangarJSONLinesFormat: GatewayMessageFormat {
    public static let format = GatewayFormat.hangarJSONLines
    public let decoder: GatewayDecoder
    public init(decoder: GatewayDecoder) { self.decoder = decoder }
}

/// `cef`: CEF lines, Hangar's mapping built in, others through `source.mapping`.
public struct CEFFormat: GatewayMessageFormat {
    public static let format = GatewayFormat.cef
    public let decoder: GatewayDecoder
    public init(decoder: GatewayDecoder) { self.decoder = decoder }
}

/// `contextforge-log`: ContextForge's structured log lines or table rows.
public struct ContextForgeLogFormat: GatewayMessageFormat {
    public static let format = GatewayFormat.contextForgeLog
    public let decoder: GatewayDecoder
    public init(decoder: GatewayDecoder) { self.decoder = decoder }
}
