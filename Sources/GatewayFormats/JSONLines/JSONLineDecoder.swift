import AuditDecoder
import AuditEvent

/// Gateway records that are one JSON object per message: MCP Hangar's
/// JSON-lines export and ContextForge's structured log. Members become
/// record values by their dotted names; `prepare` lets a format derive
/// values (ContextForge's call is in its message text).
public final class JSONLineDecoder {
    public let mapper: RecordMapper
    private let parser: AuditEventDecoder

    public init(mapper: RecordMapper, limits: AuditEventDecoder.Limits) throws(AuditEventError) {
        self.mapper = mapper
        parser = try AuditEventDecoder(limits: limits)
    }

    public func decode(_ bytes: [UInt8]) throws(AuditEventError) -> DecodedMessage {
        let object = try parser.flatObject(bytes)
        var record = GatewayRecord()
        for (name, value) in object.members {
            guard let value = Self.recordValue(value) else { continue }
            record.attributes[name] = value
        }
        if mapper.format == .contextForgeLog { try ContextForgeLog.prepare(&record, parser: parser) }
        record.canonical = object.canonical
        var decoded = DecodedMessage()
        let origin = RecordMapper.Origin(messageSHA256: MessageDigest.sha256Hex(bytes), record: 0)
        mapper.add(record, origin: origin, to: &decoded, deadLetterValue: [])
        return decoded
    }

    static func recordValue(_ value: FlatValue) -> RecordValue? {
        switch value {
        case .string(let text): .string(text)
        case .integer(let number): .integer(number)
        case .double(let number): .double(number)
        case .boolean(let flag): .boolean(flag)
        case .strings(let list): .strings(list)
        case .json(let text): .json(text)
        case .null: nil
        }
    }
}
