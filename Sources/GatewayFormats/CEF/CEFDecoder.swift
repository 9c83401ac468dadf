import AuditEvent

/// CEF lines as records: the header fields as `cef.version`, `cef.vendor`,
/// `cef.product`, `cef.device_version`, `cef.signature_id`, `cef.name` and
/// `cef.severity`; each extension pair by its key, and a custom field
/// with a label (`cs5=echo cs5Label=ToolName`) also by the label, which is
/// how vendors name their own fields.
public struct CEFDecoder: Sendable {
    public let mapper: RecordMapper
    public let maxMessageBytes: Int

    public init(mapper: RecordMapper, maxMessageBytes: Int = 1 << 20) {
        self.mapper = mapper
        self.maxMessageBytes = maxMessageBytes
    }

    public func decode(_ bytes: [UInt8]) throws(AuditEventError) -> DecodedMessage {
        guard !bytes.isEmpty else { throw AuditEventError(.emptyMessage, reason: "the message has no bytes") }
        guard bytes.count <= maxMessageBytes else {
            throw AuditEventError(.messageTooLarge, reason: "longer than \(maxMessageBytes) bytes")
        }
        let line = try CEFLine.parse(bytes)
        if Set(line.extensions.map(\.key)).count != line.extensions.count {
            throw AuditEventError(.duplicateKey, reason: "an extension key appears twice")
        }
        let record = Self.record(line)
        var decoded = DecodedMessage()
        let origin = RecordMapper.Origin(messageSHA256: MessageDigest.sha256Hex(bytes), record: 0)
        mapper.add(record, origin: origin, to: &decoded, deadLetterValue: [])
        return decoded
    }

    static func record(_ line: CEFLine) -> GatewayRecord {
        var record = GatewayRecord()
        let header = [
            ("cef.version", line.version), ("cef.vendor", line.vendor), ("cef.product", line.product),
            ("cef.device_version", line.deviceVersion), ("cef.signature_id", line.signatureID),
            ("cef.name", line.name), ("cef.severity", line.severity),
        ]
        for (name, value) in header { record.attributes[name] = .string(value) }
        // The product as a gateway name: `MCP Hangar` is `mcp-hangar`.
        let gateway = line.product.lowercased().split(separator: " ").joined(separator: "-")
        if !gateway.isEmpty { record.attributes["cef.gateway"] = .string(gateway) }
        var values: [String: String] = [:]
        for (key, value) in line.extensions { values[key] = value }
        for (key, value) in line.extensions {
            record.attributes[key] = .string(value)
            if !key.hasSuffix("Label"), let label = values[key + "Label"], !label.isEmpty,
                record.attributes[label] == nil
            {
                record.attributes[label] = .string(value)
            }
        }
        // The canonical form: the header and the pairs, unescaped, in order.
        var writer = JSONWriter(capacity: 512)
        writer.beginObject()
        for (name, value) in header {
            writer.name(name)
            writer.value(value)
        }
        writer.beginObject("extension")
        for (key, value) in line.extensions {
            writer.name(key)
            writer.value(value)
        }
        writer.endObject()
        writer.endObject()
        record.canonical = writer.bytes
        return record
    }
}
