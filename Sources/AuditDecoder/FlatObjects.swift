import AuditEvent

/// A JSON member's value as the gateway formats read it (their records are
/// flat objects, sometimes with a few nested ones).
public enum FlatValue: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case double(Double)
    case boolean(Bool)
    case null
    case strings([String])
    /// An array that is not all strings, as minified JSON.
    case json(String)
}

/// A JSON object read as dotted names: `{"a":{"b":1}}` gives `a.b` = 1,
/// for the gateway formats whose records are JSON lines.
public struct FlatObject: Sendable {
    /// Members in document order; nested objects' members follow under dotted names.
    public var members: [(name: String, value: FlatValue)]
    /// The object as minified JSON (every object in it checked for repeated keys).
    public var canonical: [UInt8]
}

extension AuditEventDecoder {
    /// Reads one JSON object with the decoder's limits; errors as for events
    /// (`not_an_object`, `duplicate_key`, ...), never quoting a value.
    public func flatObject(_ bytes: [UInt8]) throws(AuditEventError) -> FlatObject {
        try bytes.withUnsafeBufferPointer { (buffer) throws(AuditEventError) -> FlatObject in
            let reader = try parse(buffer)
            guard reader.tag(1) == TapeReader.Tag.object else {
                throw AuditEventError(.notAnObject, reason: "the record is not a JSON object")
            }
            let canonical = try reader.raw(1, "(root)")
            var members: [(name: String, value: FlatValue)] = []
            reader.flatten(1, prefix: "", into: &members)
            return FlatObject(members: members, canonical: Array(canonical.text.utf8))
        }
    }
}

extension TapeReader {
    func flatten(_ object: Int, prefix: String, into members: inout [(name: String, value: FlatValue)]) {
        var key = object + 1
        let end = closing(object)
        while key < end {
            let child = key + 1
            let name = prefix + text(key)
            switch tag(child) {
            case Tag.object: flatten(child, prefix: name + ".", into: &members)
            case Tag.array:
                var strings: [String] = []
                var item = child + 1
                let last = closing(child)
                var allStrings = true
                while item < last {
                    guard tag(item) == Tag.string else {
                        allStrings = false
                        break
                    }
                    strings.append(text(item))
                    item += 1
                }
                if allStrings {
                    members.append((name, .strings(strings)))
                } else if let json = try? raw(child, name) {
                    members.append((name, .json(json.text)))
                }
            case Tag.string: members.append((name, .string(text(child))))
            case Tag.int64: members.append((name, .integer(Int64(bitPattern: tape[child + 1]))))
            case Tag.uint64: members.append((name, .double(Double(tape[child + 1]))))
            case Tag.double: members.append((name, .double(Double(bitPattern: tape[child + 1]))))
            case Tag.true: members.append((name, .boolean(true)))
            case Tag.false: members.append((name, .boolean(false)))
            default: members.append((name, .null))
            }
            key = after(child)
        }
    }
}
