import AuditDecoder
import AuditEvent

/// How the bytes of one Kafka message become events: zero or more of them
/// (an OTLP export request carries many records, a heartbeat none). A
/// message refused as a whole goes to the dead-letter topic with the error.
///
/// One instance per decoding task: formats keep parser buffers and are not
/// shared between tasks. A new format is one file in this folder and one line
/// in ``MessageFormats/all``.
public protocol MessageFormat: SendableMetatype {
    /// The `source.format` name in pipeline files.
    static var name: String { get }
    init(limits: AuditEventDecoder.Limits) throws(AuditEventError)
    func decode(_ value: [UInt8]) throws(AuditEventError) -> [AuditEvent]
}

/// The formats a pipeline file may name.
public enum MessageFormats {
    public static let all: [any MessageFormat.Type] = [MCPAuditFormat.self]

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

    public init(limits: AuditEventDecoder.Limits) throws(AuditEventError) {
        decoder = try AuditEventDecoder(limits: limits)
    }

    public func decode(_ value: [UInt8]) throws(AuditEventError) -> [AuditEvent] {
        [try decoder.decode(value)]
    }
}
