import AuditEvent
import CSimdjson

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Typed, field-named access to a document on simdjson's tape.
///
/// A value is named by its tape index; an object's members alternate a key
/// word and the value. Every accessor either returns a value of the
/// contract's type or throws an ``AuditEventError`` that names the field;
/// values never enter the error.
struct TapeReader {
    let tape: UnsafePointer<UInt64>
    let strings: UnsafePointer<UInt8>
    let parser: OpaquePointer

    enum Tag {
        static let object = UInt8(ascii: "{")
        static let array = UInt8(ascii: "[")
        static let string = UInt8(ascii: "\"")
        static let int64 = UInt8(ascii: "l")
        static let uint64 = UInt8(ascii: "u")
        static let double = UInt8(ascii: "d")
        static let `true` = UInt8(ascii: "t")
        static let `false` = UInt8(ascii: "f")
        static let null = UInt8(ascii: "n")
    }

    @inline(__always)
    func tag(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: tape[index] >> 56) }

    /// The index of the value after this one (its next sibling).
    @inline(__always)
    func after(_ index: Int) -> Int {
        switch tag(index) {
        case Tag.object, Tag.array: Int(UInt32(truncatingIfNeeded: tape[index]))
        case Tag.int64, Tag.uint64, Tag.double: index + 2
        default: index + 1
        }
    }

    /// The index of a container's closing word: its children lie before it.
    @inline(__always)
    func closing(_ index: Int) -> Int { Int(UInt32(truncatingIfNeeded: tape[index])) - 1 }

    /// Members of an object or elements of an array (saturated at 2^24 - 1).
    @inline(__always)
    func count(_ index: Int) -> Int { Int((tape[index] >> 32) & 0xFF_FFFF) }

    /// Unescaped UTF-8 of a string word (a value or a key), validated by simdjson.
    @inline(__always)
    func bytes(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        let at = strings + Int(tape[index] & 0x00FF_FFFF_FFFF_FFFF)
        let length = UnsafeRawPointer(at).loadUnaligned(as: UInt32.self)
        return UnsafeBufferPointer(start: at + 4, count: Int(UInt32(littleEndian: length)))
    }

    @inline(__always)
    func text(_ index: Int) -> String {
        String(decoding: bytes(index), as: UTF8.self)
    }

    func requiredString(_ index: Int, _ field: StaticString) throws(AuditEventError) -> String {
        let type = tag(index)
        guard type == Tag.string else {
            if type == Tag.null { throw missing(field) }
            throw wrongType(field, expected: "a string")
        }
        let value = bytes(index)
        guard !value.isEmpty else { throw invalid(field, "must not be empty") }
        return String(decoding: value, as: UTF8.self)
    }

    /// A string, or nil for JSON null (optional fields accept null as absent).
    func optionalString(_ index: Int, _ field: StaticString) throws(AuditEventError) -> String? {
        let type = tag(index)
        if type == Tag.string { return text(index) }
        if type == Tag.null { return nil }
        throw wrongType(field, expected: "a string")
    }

    /// An enumeration value matched on the raw bytes, or nil for JSON null.
    func optionalEnum<E>(_ index: Int, _ field: StaticString, _ table: EnumTable<E>) throws(AuditEventError) -> E? {
        let type = tag(index)
        if type == Tag.null { return nil }
        guard type == Tag.string else { throw wrongType(field, expected: "a string") }
        guard let value = table.value(for: bytes(index)) else {
            throw invalid(field, "not one of the values the contract allows")
        }
        return value
    }

    /// Whether a string value holds exactly `literal`.
    @inline(__always)
    func equals(_ index: Int, _ literal: StaticString) -> Bool {
        let value = bytes(index)
        return value.count == literal.utf8CodeUnitCount
            && memcmp(value.baseAddress!, literal.utf8Start, literal.utf8CodeUnitCount) == 0
    }

    func optionalInteger(
        _ index: Int,
        _ field: StaticString,
        in range: ClosedRange<Int64>
    ) throws(AuditEventError) -> Int64? {
        switch tag(index) {
        case Tag.int64:
            let value = Int64(bitPattern: tape[index + 1])
            guard range.contains(value) else {
                throw AuditEventError(
                    .numberOutOfRange,
                    field: "\(field)",
                    reason: "outside \(range.lowerBound)...\(range.upperBound)"
                )
            }
            return value
        case Tag.uint64:
            throw AuditEventError(.numberOutOfRange, field: "\(field)", reason: "does not fit a signed 64-bit integer")
        case Tag.null:
            return nil
        default:
            throw wrongType(field, expected: "an integer")
        }
    }

    /// A finite, non-negative number (integers accepted), or nil for null.
    func optionalMeasure(_ index: Int, _ field: StaticString) throws(AuditEventError) -> Double? {
        let value: Double
        switch tag(index) {
        case Tag.int64: value = Double(Int64(bitPattern: tape[index + 1]))
        case Tag.uint64: value = Double(tape[index + 1])
        case Tag.double: value = Double(bitPattern: tape[index + 1])
        case Tag.null: return nil
        default: throw wrongType(field, expected: "a number")
        }
        guard value.isFinite, value >= 0 else {
            throw AuditEventError(.numberOutOfRange, field: "\(field)", reason: "must be a finite number >= 0")
        }
        return value
    }

    func optionalStringArray(_ index: Int, _ field: StaticString) throws(AuditEventError) -> [String]? {
        let type = tag(index)
        if type == Tag.null { return nil }
        guard type == Tag.array else { throw wrongType(field, expected: "an array of strings") }
        var result: [String] = []
        result.reserveCapacity(count(index))
        var item = index + 1
        let end = closing(index)
        while item < end {
            guard tag(item) == Tag.string else { throw wrongType(field, expected: "an array of strings") }
            result.append(text(item))
            item += 1
        }
        return result
    }

    /// The value as minified JSON text; its objects are checked for repeated keys.
    func raw(_ index: Int, _ field: String) throws(AuditEventError) -> RawJSON {
        var text: UnsafePointer<CChar>?
        var length = 0
        let status = csj_serialize(parser, index, &text, &length)
        if status == CSJ_DUPLICATE_KEY { throw duplicate(csj_error_index(parser)) }
        guard status == CSJ_OK, let text else {
            throw AuditEventError(.internalError, field: field, reason: "could not serialise the value")
        }
        let bytes = UnsafeRawBufferPointer(start: text, count: length)
        return RawJSON(text: String(decoding: bytes, as: UTF8.self))
    }

    /// An object-valued field, or nil for null; anything else is a type error.
    func optionalObject(_ index: Int, _ field: StaticString) throws(AuditEventError) -> Int? {
        let type = tag(index)
        if type == Tag.object { return index }
        if type == Tag.null { return nil }
        throw wrongType(field, expected: "an object")
    }
}
