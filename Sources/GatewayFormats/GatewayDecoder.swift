import AuditDecoder
import AuditEvent

/// One decoder for one gateway format and mapping: bytes of a Kafka
/// message in, events and per-record failures out. Holds parser buffers:
/// one instance per decoding task.
public final class GatewayDecoder {
    public let format: GatewayFormat
    private let decodeMessage: ([UInt8]) throws(AuditEventError) -> DecodedMessage

    public init(
        format: GatewayFormat,
        mapping: FieldMapping,
        limits: AuditEventDecoder.Limits = .init(),
        otlpEncoding: OTLPLogsDecoder.Encoding = .auto
    ) throws(AuditEventError) {
        self.format = format
        let mapper = RecordMapper(format: format, mapping: mapping)
        switch format {
        case .otlp:
            let decoder = OTLPLogsDecoder(
                mapper: mapper,
                maxMessageBytes: limits.maxMessageBytes,
                maxDepth: limits.maxDepth,
                encoding: otlpEncoding
            )
            decodeMessage = { (bytes) throws(AuditEventError) in try decoder.decode(bytes) }
        case .cef:
            let decoder = CEFDecoder(mapper: mapper, maxMessageBytes: limits.maxMessageBytes)
            decodeMessage = { (bytes) throws(AuditEventError) in try decoder.decode(bytes) }
        case .hangarJSONLines, .contextForgeLog:
            let decoder = try JSONLineDecoder(mapper: mapper, limits: limits)
            decodeMessage = { (bytes) throws(AuditEventError) in try decoder.decode(bytes) }
        }
    }

    /// A message refused as a whole throws; a record refused alone is in `failures`.
    public func decode(_ bytes: [UInt8]) throws(AuditEventError) -> DecodedMessage {
        try decodeMessage(bytes)
    }
}
