import AuditEvent
import Foundation
import OTLPProto

/// OTLP's AnyValue and KeyValue lists as record values and canonical JSON.
enum OTLPValues {
    typealias AnyValue = Opentelemetry_Proto_Common_V1_AnyValue
    typealias KeyValue = Opentelemetry_Proto_Common_V1_KeyValue

    /// Attributes by name; a map value is also entered member by member
    /// under dotted names (`mcp.caller` = {id: x} gives `mcp.caller.id`).
    /// Repeated names are looked for afterwards (``RecordValues/firstRepeatedName()``).
    static func flatten(_ attributes: [KeyValue], into values: inout RecordValues, prefix: String = "") {
        for attribute in attributes {
            let name = prefix.isEmpty ? attribute.key : prefix + attribute.key
            values.append(name, value(attribute.value))
            if case .kvlistValue(let list) = attribute.value.value {
                flatten(list.values, into: &values, prefix: name + ".")
            }
        }
    }

    static func value(_ any: AnyValue) -> RecordValue {
        switch any.value {
        case .stringValue(let text): return .string(text)
        case .boolValue(let flag): return .boolean(flag)
        case .intValue(let number): return .integer(number)
        case .doubleValue(let number): return .double(number)
        case .arrayValue(let array):
            var strings: [String] = []
            for element in array.values {
                guard case .stringValue(let text) = element.value else { return .json(json(any).text) }
                strings.append(text)
            }
            return .strings(strings)
        case .bytesValue(let bytes): return .string(MessageDigest.hex(bytes))
        case .kvlistValue, .stringValueStrindex, .none: return .json(json(any).text)
        }
    }

    static func json(_ any: AnyValue) -> RawJSON {
        var writer = JSONWriter(capacity: 64)
        write(any, to: &writer)
        return RawJSON(text: String(decoding: writer.bytes, as: UTF8.self))
    }

    static func json(_ attributes: [KeyValue]) -> RawJSON {
        var writer = JSONWriter(capacity: 64 * attributes.count + 2)
        writeObject(attributes, to: &writer)
        return RawJSON(text: String(decoding: writer.bytes, as: UTF8.self))
    }

    static func writeObject(_ attributes: [KeyValue], to writer: inout JSONWriter) {
        writer.beginObject()
        for attribute in attributes {
            writer.name(attribute.key)
            write(attribute.value, to: &writer)
        }
        writer.endObject()
    }

    static func write(_ any: AnyValue, to writer: inout JSONWriter) {
        switch any.value {
        case .stringValue(let text): writer.value(text)
        case .boolValue(let flag): writer.value(flag)
        case .intValue(let number): writer.value(number)
        case .doubleValue(let number): writer.value(number)
        case .arrayValue(let array):
            writer.beginArray()
            for element in array.values { write(element, to: &writer) }
            writer.endArray()
        case .kvlistValue(let list): writeObject(list.values, to: &writer)
        case .bytesValue(let bytes): writer.value(MessageDigest.hex(bytes))
        case .stringValueStrindex, .none: writer.nullValue()
        }
    }

    /// A trace or span id as lowercase hex, nil when absent or all zero.
    ///
    /// OTLP/JSON writes these ids in hex where proto3's JSON mapping reads
    /// bytes as base64. Hex digits are base64 digits, and 32 (16) of them
    /// decode to exactly 24 (12) bytes, so the JSON decoder's bytes are
    /// encoded back to base64 to recover the hex text. Base64 ids of the
    /// right width are taken as they are.
    static func identifier(_ bytes: [UInt8], width: Int, fromJSON: Bool) -> String? {
        guard !bytes.isEmpty, bytes.contains(where: { $0 != 0 }) else { return nil }
        if fromJSON, bytes.count == width * 3 / 2 {
            let text = Data(bytes).base64EncodedString()
            if text.utf8.allSatisfy({
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46)
            }) {
                return text.lowercased()
            }
        }
        return MessageDigest.hex(bytes)
    }
}
