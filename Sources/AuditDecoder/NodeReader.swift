import AuditEvent
import CSimdjson

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Typed, field-named access to a flattened simdjson document.
///
/// Every accessor either returns a value of the contract's type or throws an
/// ``AuditEventError`` that names the field; values never enter the error.
struct NodeReader {
    let nodes: UnsafeBufferPointer<csj_node>
    let parser: OpaquePointer

    subscript(index: Int) -> csj_node { nodes[index] }

    /// Unescaped UTF-8 of a string node, already validated by simdjson.
    @inline(__always)
    func bytes(_ node: csj_node) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(
            start: UnsafeRawPointer(node.str)?.assumingMemoryBound(to: UInt8.self),
            count: Int(node.str_len)
        )
    }

    @inline(__always)
    func text(_ node: csj_node) -> String {
        String(decoding: bytes(node), as: UTF8.self)
    }

    func requiredString(_ index: Int, _ field: StaticString) throws(AuditEventError) -> String {
        let node = nodes[index]
        guard node.type == CSJ_STRING else {
            if node.type == CSJ_NULL { throw missing(field) }
            throw wrongType(field, expected: "a string")
        }
        guard node.str_len > 0 else { throw invalid(field, "must not be empty") }
        return text(node)
    }

    /// A string, or nil for JSON null (optional fields accept null as absent).
    func optionalString(_ index: Int, _ field: StaticString) throws(AuditEventError) -> String? {
        let node = nodes[index]
        if node.type == CSJ_STRING { return text(node) }
        if node.type == CSJ_NULL { return nil }
        throw wrongType(field, expected: "a string")
    }

    /// An enumeration value matched on the raw bytes, or nil for JSON null.
    func optionalEnum<E>(_ index: Int, _ field: StaticString, _ table: EnumTable<E>) throws(AuditEventError) -> E? {
        let node = nodes[index]
        if node.type == CSJ_NULL { return nil }
        guard node.type == CSJ_STRING else { throw wrongType(field, expected: "a string") }
        guard let value = table.value(for: bytes(node)) else {
            throw invalid(field, "not one of the values the contract allows")
        }
        return value
    }

    /// Whether a string node holds exactly `literal`.
    @inline(__always)
    func equals(_ node: csj_node, _ literal: StaticString) -> Bool {
        node.str_len == literal.utf8CodeUnitCount
            && memcmp(node.str, literal.utf8Start, literal.utf8CodeUnitCount) == 0
    }

    func optionalInteger(
        _ index: Int,
        _ field: StaticString,
        in range: ClosedRange<Int64>
    ) throws(AuditEventError) -> Int64? {
        let node = nodes[index]
        switch Int32(node.type) {
        case CSJ_INT64:
            guard range.contains(node.num.i64) else {
                throw AuditEventError(
                    .numberOutOfRange,
                    field: "\(field)",
                    reason: "outside \(range.lowerBound)...\(range.upperBound)"
                )
            }
            return node.num.i64
        case CSJ_UINT64:
            throw AuditEventError(.numberOutOfRange, field: "\(field)", reason: "does not fit a signed 64-bit integer")
        case CSJ_NULL:
            return nil
        default:
            throw wrongType(field, expected: "an integer")
        }
    }

    /// A finite, non-negative number (integers accepted), or nil for null.
    func optionalMeasure(_ index: Int, _ field: StaticString) throws(AuditEventError) -> Double? {
        let node = nodes[index]
        let value: Double
        switch Int32(node.type) {
        case CSJ_INT64: value = Double(node.num.i64)
        case CSJ_UINT64: value = Double(node.num.u64)
        case CSJ_DOUBLE: value = node.num.f64
        case CSJ_NULL: return nil
        default: throw wrongType(field, expected: "a number")
        }
        guard value.isFinite, value >= 0 else {
            throw AuditEventError(.numberOutOfRange, field: "\(field)", reason: "must be a finite number >= 0")
        }
        return value
    }

    func optionalStringArray(_ index: Int, _ field: StaticString) throws(AuditEventError) -> [String]? {
        let node = nodes[index]
        if node.type == CSJ_NULL { return nil }
        guard node.type == CSJ_ARRAY else { throw wrongType(field, expected: "an array of strings") }
        var result: [String] = []
        result.reserveCapacity(Int(node.str_len))  // the parser counted the elements
        var child = index + 1
        while child < Int(node.end) {
            let item = nodes[child]
            guard item.type == CSJ_STRING else { throw wrongType(field, expected: "an array of strings") }
            result.append(text(item))
            child = Int(item.end)
        }
        return result
    }

    /// The value as minified JSON text.
    func raw(_ index: Int, _ field: String) throws(AuditEventError) -> RawJSON {
        var text: UnsafePointer<CChar>?
        var length = 0
        let status = csj_serialize(parser, UInt32(index), &text, &length)
        if status == CSJ_DUPLICATE_KEY { throw parseError(status) }
        guard status == CSJ_OK, let text else {
            throw AuditEventError(.internalError, field: field, reason: "could not serialise the value")
        }
        let bytes = UnsafeRawBufferPointer(start: text, count: length)
        return RawJSON(text: String(decoding: bytes, as: UTF8.self))
    }

    /// An object-valued field, or nil for null; anything else is a type error.
    func optionalObject(_ index: Int, _ field: StaticString) throws(AuditEventError) -> Int? {
        let type = nodes[index].type
        if type == CSJ_OBJECT { return index }
        if type == CSJ_NULL { return nil }
        throw wrongType(field, expected: "an object")
    }

    // MARK: Errors

    /// A repeated member of a known object: the one error the parser leaves to the reader.
    func duplicate(_ node: Int) -> AuditEventError {
        AuditEventError(
            .duplicateKey,
            field: path(of: node),
            reason: String(cString: csj_status_message(CSJ_DUPLICATE_KEY))
        )
    }

    func missing(_ field: StaticString) -> AuditEventError {
        AuditEventError(.missingField, field: "\(field)", reason: "required by mcp.audit/1")
    }

    func wrongType(_ field: StaticString, expected: String) -> AuditEventError {
        AuditEventError(.wrongType, field: "\(field)", reason: "expected \(expected)")
    }

    func invalid(_ field: StaticString, _ reason: String) -> AuditEventError {
        AuditEventError(.invalidValue, field: "\(field)", reason: reason)
    }

    /// The error for a failed `csj_parse`.
    func parseError(_ status: Int32) -> AuditEventError {
        let reason = String(cString: csj_status_message(status))
        switch status {
        case CSJ_EMPTY: return AuditEventError(.invalidJSON, reason: reason)
        case CSJ_TRUNCATED: return AuditEventError(.truncated, reason: reason)
        case CSJ_INVALID_UTF8: return AuditEventError(.invalidUTF8, reason: reason)
        case CSJ_CONTROL_CHARACTER: return AuditEventError(.controlCharacter, reason: reason)
        case CSJ_INVALID_NUMBER, CSJ_NUMBER_OUT_OF_RANGE: return AuditEventError(.numberOutOfRange, reason: reason)
        case CSJ_TOO_DEEP: return AuditEventError(.tooDeep, reason: reason)
        case CSJ_TOO_LARGE: return AuditEventError(.messageTooLarge, reason: reason)
        case CSJ_TOO_MANY_VALUES: return AuditEventError(.tooManyValues, reason: reason)
        case CSJ_DUPLICATE_KEY:
            let node = Int(csj_error_node(parser))
            return AuditEventError(.duplicateKey, field: path(of: node), reason: reason)
        case CSJ_OUT_OF_MEMORY, CSJ_INTERNAL: return AuditEventError(.internalError, reason: reason)
        default: return AuditEventError(.invalidJSON, reason: reason)
        }
    }

    /// Dotted path from the root to a node. Only member names of the contract
    /// print; any other key prints as `?`, because a key is sender-chosen
    /// text and errors must not carry payloads into logs.
    func path(of index: Int) -> String {
        var parts: [String] = []
        var current = index
        while current >= 0, current < nodes.count, nodes[current].parent != CSJ_NO_PARENT {
            let node = nodes[current]
            if let key = node.key {
                let name = String(decoding: UnsafeRawBufferPointer(start: key, count: Int(node.key_len)), as: UTF8.self)
                parts.append(contractMemberNames.contains(name) ? name : "?")
            } else {
                parts.append("[]")
            }
            current = Int(node.parent)
        }
        return parts.isEmpty ? "(root)" : parts.reversed().joined(separator: ".")
    }
}
