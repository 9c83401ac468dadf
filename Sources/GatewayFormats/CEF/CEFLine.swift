import AuditEvent

/// A CEF line (ArcSight CEF 0 and 1): seven `|`-separated header fields and
/// an extension of `key=value` pairs. Header fields escape `\|` and `\\`;
/// extension values escape `\=`, `\\`, `\n` and `\r`, and a value runs up
/// to the space before the next `key=`. Text before `CEF:` (a syslog
/// header) is skipped.
public struct CEFLine: Sendable, Hashable {
    public var version: String
    public var vendor: String
    public var product: String
    public var deviceVersion: String
    public var signatureID: String
    public var name: String
    public var severity: String
    /// Extension pairs in the order they appear.
    public var extensions: [(key: String, value: String)]

    public static func == (lhs: CEFLine, rhs: CEFLine) -> Bool {
        lhs.header == rhs.header && lhs.extensions.elementsEqual(rhs.extensions) { $0 == $1 }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(header)
        for (key, value) in extensions {
            hasher.combine(key)
            hasher.combine(value)
        }
    }

    var header: [String] { [version, vendor, product, deviceVersion, signatureID, name, severity] }

    /// Parses one line; errors name the part at fault, never its text.
    public static func parse(_ bytes: [UInt8]) throws(AuditEventError) -> CEFLine {
        var text = bytes[...]
        while let last = text.last, last == 0x0A || last == 0x0D { text = text.dropLast() }
        guard let start = text.firstRange(of: Array("CEF:".utf8)) else {
            throw AuditEventError(.invalidCEF, reason: "no 'CEF:' header")
        }
        guard let _ = String(validating: text, as: UTF8.self) else {
            throw AuditEventError(.invalidUTF8, reason: "the line is not valid UTF-8")
        }
        var cursor = start.upperBound
        var header: [String] = []
        while header.count < 7 {
            var field: [UInt8] = []
            var closed = false
            while cursor < text.endIndex {
                let byte = text[cursor]
                cursor += 1
                if byte == UInt8(ascii: "\\"), cursor < text.endIndex,
                    text[cursor] == UInt8(ascii: "|") || text[cursor] == UInt8(ascii: "\\")
                {
                    field.append(text[cursor])
                    cursor += 1
                } else if byte == UInt8(ascii: "|") {
                    closed = true
                    break
                } else {
                    field.append(byte)
                }
            }
            guard closed else {
                throw AuditEventError(.invalidCEF, reason: "the header has \(header.count + 1) of its 7 fields")
            }
            header.append(String(decoding: field, as: UTF8.self))
        }
        guard header[0] == "0" || header[0] == "1" else {
            throw AuditEventError(.invalidCEF, field: "version", reason: "not CEF version 0 or 1")
        }
        return CEFLine(
            version: header[0],
            vendor: header[1],
            product: header[2],
            deviceVersion: header[3],
            signatureID: header[4],
            name: header[5],
            severity: header[6],
            extensions: try extensionPairs(text[cursor...])
        )
    }

    static func isKeyByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
    }

    /// Whether `key=` starts at `index` (an unescaped `=` after key bytes).
    static func keyLength(_ text: ArraySlice<UInt8>, at index: Int) -> Int? {
        var end = index
        while end < text.endIndex, isKeyByte(text[end]) { end += 1 }
        guard end > index, end < text.endIndex, text[end] == UInt8(ascii: "=") else { return nil }
        return end - index
    }

    static func extensionPairs(_ text: ArraySlice<UInt8>) throws(AuditEventError) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        var cursor = text.startIndex
        while cursor < text.endIndex, text[cursor] == 0x20 { cursor += 1 }
        while cursor < text.endIndex {
            guard let length = keyLength(text, at: cursor) else {
                throw AuditEventError(.invalidCEF, reason: "extension pair \(pairs.count + 1) has no 'key='")
            }
            let key = String(decoding: text[cursor..<cursor + length], as: UTF8.self)
            cursor += length + 1
            var value: [UInt8] = []
            while cursor < text.endIndex {
                let byte = text[cursor]
                if byte == UInt8(ascii: "\\"), cursor + 1 < text.endIndex {
                    switch text[cursor + 1] {
                    case UInt8(ascii: "="), UInt8(ascii: "\\"): value.append(text[cursor + 1])
                    case UInt8(ascii: "n"): value.append(0x0A)
                    case UInt8(ascii: "r"): value.append(0x0D)
                    default: value.append(contentsOf: [byte, text[cursor + 1]])
                    }
                    cursor += 2
                    continue
                }
                if byte == 0x20 {
                    // A space ends the value only when the next key follows.
                    var next = cursor
                    while next < text.endIndex, text[next] == 0x20 { next += 1 }
                    if next == text.endIndex || keyLength(text, at: next) != nil {
                        cursor = next
                        break
                    }
                }
                value.append(byte)
                cursor += 1
            }
            pairs.append((key, String(decoding: value, as: UTF8.self)))
        }
        return pairs
    }
}
