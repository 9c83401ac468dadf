import AuditDecoder
import AuditEvent
import GatewayFormats

/// What a format needs to start: the decoder's limits and, for gateway
/// formats, the pipeline file's additions to the built-in mapping.
public struct FormatSettings: Sendable {
    public var limits: AuditEventDecoder.Limits
    public var fields: [EventField: [String]]
    public var gateway: String?
    public var otherRecords: FieldMapping.OtherRecords?
    /// `otlp` only: how a message's encoding is told.
    public var otlpEncoding: OTLPLogsDecoder.Encoding = .auto

    public init(
        limits: AuditEventDecoder.Limits = .init(),
        fields: [EventField: [String]] = [:],
        gateway: String? = nil,
        otherRecords: FieldMapping.OtherRecords? = nil
    ) {
        self.limits = limits
        self.fields = fields
        self.gateway = gateway
        self.otherRecords = otherRecords
    }
}

/// How the bytes of one Kafka message become events: zero or more of them
/// (an OTLP export request carries many records, a heartbeat none). A
/// message refused as a whole throws and goes to the dead-letter topic with
/// the error; a record refused alone is one of the result's `failures`.
///
/// One instance per decoding task: formats keep parser buffers and are not
/// shared between tasks. A new format is one file in this folder and one line
/// in ``MessageFormats/all``.
public protocol MessageFormat: SendableMetatype {
    /// The `source.format` name in pipeline files.
    static var name: String { get }
    init(settings: FormatSettings) throws(AuditEventError)
    func decode(_ value: [UInt8]) throws(AuditEventError) -> DecodedMessage
}

/// The formats a pipeline file may name.
public enum MessageFormats {
    public static let all: [any MessageFormat.Type] = [
        MCPAuditFormat.self, OTLPFormat.self, HangarJSONLinesFormat.self, CEFFormat.self, ContextForgeLogFormat.self,
    ]

    public static var names: [String] { all.map { $0.name } }

    /// The format called `name`, or nil.
    public static func named(_ name: String) -> (any MessageFormat.Type)? {
        all.first { $0.name == name }
    }
}

/// `mcp.audit/1`: one JSON event per message (SCHEMA.md).
public struct MCPAuditFormat: MessageFormat {
    public static let name = "mcp.audit/1"
    private let decoder: AuditEventDecoder

    public init(settings: FormatSettings) throws(AuditEventError) {
        decoder = try AuditEventDecoder(limits: settings.limits)
    }

    public func decode(_ value: [UInt8]) throws(AuditEventError) -> DecodedMessage {
        DecodedMessage(events: [try decoder.decode(value)])
    }
}
