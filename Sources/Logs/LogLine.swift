import Logging

/// The two record layouts, as pure functions of a record (tested as values).
public enum LogLine {
    /// The fields a JSON record reserves for itself; a metadata key with one
    /// of these names is written as `field.NAME` so nothing is overwritten.
    static let reserved: Set<String> = ["time", "level", "logger", "message"]

    /// `2026-11-26T10:01:02.123Z info countersign: source started topics=mcp.audit`.
    public static func text(
        time: String,
        level: Logger.Level,
        label: String,
        message: String,
        _ fields: Logger.Metadata
    ) -> String {
        var line = "\(time) \(level) \(label): \(oneLine(message))"
        for key in fields.keys.sorted() {
            line += " \(key)=\(textValue(fields[key]!))"
        }
        return line
    }

    public static func json(
        time: String,
        level: Logger.Level,
        label: String,
        message: String,
        _ fields: Logger.Metadata
    ) -> String {
        var line = "{\"time\":\"\(time)\",\"level\":\"\(level)\",\"logger\":"
        appendString(label, to: &line)
        line += ",\"message\":"
        appendString(message, to: &line)
        for key in fields.keys.sorted() {
            line += ","
            appendString(reserved.contains(key) ? "field.\(key)" : key, to: &line)
            line += ":"
            appendJSON(fields[key]!, to: &line)
        }
        return line + "}"
    }

    /// A value without spaces, quotes or line breaks stays bare; any other is
    /// quoted with `"` and `\` escaped, so a line splits back into fields.
    static func textValue(_ value: Logger.Metadata.Value) -> String {
        let raw: String
        switch value {
        case .string(let string): raw = string
        case .stringConvertible(let convertible): raw = convertible.description
        case .array(let values): raw = "[" + values.map(textValue).joined(separator: ",") + "]"
        case .dictionary(let values):
            raw = "{" + values.keys.sorted().map { "\($0)=\(textValue(values[$0]!))" }.joined(separator: ",") + "}"
        }
        let plain = !raw.isEmpty && raw.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "\\" }
        if plain { return raw }
        var quoted = ""
        appendString(raw, to: &quoted)
        return quoted
    }

    /// A message never spans lines: one record, one line.
    static func oneLine(_ message: String) -> String {
        guard message.contains(where: { $0 == "\n" || $0 == "\r" }) else { return message }
        return message.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }).joined(separator: " ")
    }

    static func appendJSON(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let string): appendString(string, to: &line)
        case .stringConvertible(let convertible): appendString(convertible.description, to: &line)
        case .array(let values):
            line += "["
            for (index, element) in values.enumerated() {
                if index > 0 { line += "," }
                appendJSON(element, to: &line)
            }
            line += "]"
        case .dictionary(let values):
            line += "{"
            for (index, key) in values.keys.sorted().enumerated() {
                if index > 0 { line += "," }
                appendString(key, to: &line)
                line += ":"
                appendJSON(values[key]!, to: &line)
            }
            line += "}"
        }
    }

    /// RFC 8259 string escaping: quotes, backslashes and control characters
    /// (a quoted text value uses the same, so both layouts split back alike).
    static func appendString(_ string: String, to line: inout String) {
        line += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    line += "\\u" + hex4(scalar.value)
                } else {
                    line.unicodeScalars.append(scalar)
                }
            }
        }
        line += "\""
    }

    static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
