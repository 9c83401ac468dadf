import AuditEvent
import OTLPProto
import SwiftProtobuf

/// OTLP logs as the OpenTelemetry Collector's Kafka exporter writes them:
/// one `ExportLogsServiceRequest` per message (`otlp_proto`, the default,
/// or `otlp_json`), holding N resources x M records. The encoding is told
/// per message: OTLP/JSON starts with `{`, the protobuf with field 1's tag.
///
/// Each record is mapped on its own: a bad record is a ``RecordFailure``
/// and the rest of the batch still counts.
public struct OTLPLogsDecoder: Sendable {
    /// How a message's encoding is told: from its first byte, or set.
    public enum Encoding: String, Sendable, Hashable, CaseIterable {
        case auto
        case protobuf
        case json
    }

    public let mapper: RecordMapper
    public let encoding: Encoding
    public let maxMessageBytes: Int
    public let maxDepth: Int

    public init(mapper: RecordMapper, maxMessageBytes: Int = 1 << 20, maxDepth: Int = 64, encoding: Encoding = .auto) {
        self.mapper = mapper
        self.encoding = encoding
        self.maxMessageBytes = maxMessageBytes
        self.maxDepth = maxDepth
    }

    public typealias Request = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest

    public func decode(_ bytes: [UInt8]) throws(AuditEventError) -> DecodedMessage {
        let (request, isJSON) = try parse(bytes)
        let digest = MessageDigest.sha256Hex(bytes)
        var decoded = DecodedMessage()
        var index = 0
        for resourceLogs in request.resourceLogs {
            var resource = RecordValues()
            OTLPValues.flatten(resourceLogs.resource.attributes, into: &resource)
            let resourceDuplicate = resource.firstRepeatedName()
            let resourceJSON = OTLPValues.json(resourceLogs.resource.attributes)
            for scopeLogs in resourceLogs.scopeLogs {
                var scoped = resource
                if !scopeLogs.scope.name.isEmpty { scoped["otel.scope.name"] = .string(scopeLogs.scope.name) }
                if !scopeLogs.scope.version.isEmpty { scoped["otel.scope.version"] = .string(scopeLogs.scope.version) }
                for logRecord in scopeLogs.logRecords {
                    defer { index += 1 }
                    var record = GatewayRecord()
                    record.resource = scoped
                    record.attributes.reserveCapacity(logRecord.attributes.count)
                    OTLPValues.flatten(logRecord.attributes, into: &record.attributes)
                    let duplicate = resourceDuplicate ?? record.attributes.firstRepeatedName()
                    fillMetadata(&record, logRecord, isJSON: isJSON)
                    record.canonical = canonical(logRecord, record, resourceJSON: resourceJSON, scope: scopeLogs.scope)
                    let origin = RecordMapper.Origin(messageSHA256: digest, record: index)
                    if let duplicate {
                        let error = AuditEventError(
                            .duplicateKey,
                            field: duplicate,
                            reason: "the attribute appears twice in one record or resource"
                        )
                        decoded.failures.append(RecordFailure(record: index, error: error, value: record.canonical))
                    } else {
                        mapper.add(record, origin: origin, to: &decoded, deadLetterValue: record.canonical)
                    }
                }
            }
        }
        return decoded
    }

    private func parse(_ bytes: [UInt8]) throws(AuditEventError) -> (Request, isJSON: Bool) {
        guard !bytes.isEmpty else { throw AuditEventError(.emptyMessage, reason: "the message has no bytes") }
        guard bytes.count <= maxMessageBytes else {
            throw AuditEventError(.messageTooLarge, reason: "longer than \(maxMessageBytes) bytes")
        }
        let firstByte = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if encoding == .json, firstByte != UInt8(ascii: "["), firstByte != UInt8(ascii: "{") {
            throw AuditEventError(.invalidJSON, reason: "not an OTLP/JSON ExportLogsServiceRequest")
        }
        if encoding != .protobuf, firstByte == UInt8(ascii: "[") {
            // rotel's Kafka exporter (`--kafka-exporter-format json`) writes
            // the request's `resourceLogs` array alone.
            let wrapped = Array("{\"resourceLogs\":".utf8) + bytes + [UInt8(ascii: "}")]
            return try parseJSON(wrapped)
        }
        if encoding != .protobuf, firstByte == UInt8(ascii: "{") { return try parseJSON(bytes) }
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = maxDepth
        do {
            return (try Request(serializedBytes: bytes, options: options), false)
        } catch {
            throw AuditEventError(.invalidProtobuf, reason: "not an OTLP ExportLogsServiceRequest in protobuf")
        }
    }

    private func parseJSON(_ bytes: [UInt8]) throws(AuditEventError) -> (Request, isJSON: Bool) {
        do {
            var options = JSONDecodingOptions()
            options.ignoreUnknownFields = true
            options.messageDepthLimit = maxDepth
            return (try Request(jsonUTF8Bytes: bytes, options: options), true)
        } catch {
            throw AuditEventError(.invalidJSON, reason: "not an OTLP/JSON ExportLogsServiceRequest")
        }
    }

    private func fillMetadata(_ record: inout GatewayRecord, _ log: Opentelemetry_Proto_Logs_V1_LogRecord, isJSON: Bool)
    {
        record.time = log.timeUnixNano == 0 ? nil : Self.time(nanoseconds: log.timeUnixNano)
        record.observedTime = log.observedTimeUnixNano == 0 ? nil : Self.time(nanoseconds: log.observedTimeUnixNano)
        if log.hasBody { record.body = OTLPValues.value(log.body) }
        if !log.eventName.isEmpty { record.eventName = log.eventName }
        if !log.severityText.isEmpty {
            record.severity = log.severityText
        } else if log.severityNumber.rawValue != 0 {
            record.severity = String(log.severityNumber.rawValue)
        }
        record.traceID = OTLPValues.identifier(Array(log.traceID), width: 16, fromJSON: isJSON)
        record.spanID = OTLPValues.identifier(Array(log.spanID), width: 8, fromJSON: isJSON)
    }

    static func time(nanoseconds: UInt64) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: Int64(clamping: nanoseconds / 1_000))
    }

    /// The record as canonical JSON: snake_case names, attributes as an
    /// object in the order received, times as decimal strings of
    /// nanoseconds, ids in hex, bytes values in hex. The same record gives
    /// the same bytes whether it came as protobuf or as JSON.
    private func canonical(
        _ log: Opentelemetry_Proto_Logs_V1_LogRecord,
        _ record: GatewayRecord,
        resourceJSON: RawJSON,
        scope: Opentelemetry_Proto_Common_V1_InstrumentationScope
    ) -> [UInt8] {
        var writer = JSONWriter(capacity: 1024)
        writer.beginObject()
        writer.field("resource", resourceJSON)
        writer.beginObject("scope")
        writer.field("name", scope.name)
        if !scope.version.isEmpty { writer.field("version", scope.version) }
        writer.endObject()
        writer.field("time_unix_nano", String(log.timeUnixNano))
        writer.field("observed_time_unix_nano", String(log.observedTimeUnixNano))
        writer.field("severity_number", Int64(log.severityNumber.rawValue))
        if !log.severityText.isEmpty { writer.field("severity_text", log.severityText) }
        if !log.eventName.isEmpty { writer.field("event_name", log.eventName) }
        if log.hasBody {
            writer.name("body")
            OTLPValues.write(log.body, to: &writer)
        }
        writer.name("attributes")
        OTLPValues.writeObject(log.attributes, to: &writer)
        if let trace = record.traceID { writer.field("trace_id", trace) }
        if let span = record.spanID { writer.field("span_id", span) }
        if log.flags != 0 { writer.field("flags", Int64(log.flags)) }
        writer.endObject()
        return writer.bytes
    }
}
