/// ArcSight Common Event Format, exact to the spec's escaping rules:
/// `CEF:0|Vendor|Product|Version|Class ID|Name|Severity|k=v k=v ...`.
///
/// Header fields escape `\` and `|`, and turn CR/LF into spaces; extension
/// values escape `\`, `=`, CR and LF (and nothing else); keys must be
/// alphanumeric. Other control characters become spaces everywhere, and
/// invalid UTF-8 can not arise: values are Swift Strings. So no value, however
/// hostile, can add, remove or shift a field. Length limits apply to the
/// value before escaping, in characters, and cut it at the limit.
public struct CEFEvent: Sendable, Hashable {
    public var vendor: String
    public var product: String
    public var version: String
    public var classID: String
    public var name: String
    /// 0-10.
    public var severity: Int
    /// Extension pairs in output order.
    public var extensions: [(key: String, value: String)]

    public init(
        vendor: String,
        product: String,
        version: String,
        classID: String,
        name: String,
        severity: Int,
        extensions: [(key: String, value: String)]
    ) {
        self.vendor = vendor
        self.product = product
        self.version = version
        self.classID = classID
        self.name = name
        self.severity = severity
        self.extensions = extensions
    }

    public static func == (a: CEFEvent, b: CEFEvent) -> Bool {
        a.vendor == b.vendor && a.product == b.product && a.version == b.version && a.classID == b.classID
            && a.name == b.name && a.severity == b.severity && a.extensions.map(\.key) == b.extensions.map(\.key)
            && a.extensions.map(\.value) == b.extensions.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(classID)
        hasher.combine(name)
        for pair in extensions {
            hasher.combine(pair.key)
            hasher.combine(pair.value)
        }
    }
}

public enum CEFError: Error, Equatable, CustomStringConvertible {
    case severityOutOfRange(Int)
    case invalidKey(String)

    public var description: String {
        switch self {
        case .severityOutOfRange(let value): "CEF severity must be 0-10, not \(value)"
        case .invalidKey(let key): "CEF extension keys are letters and digits only: '\(key)'"
        }
    }
}

public enum CEFEncoder {
    /// Header limits, in characters: vendor, product, version, class id, name.
    public static let headerLimits = (vendor: 63, product: 63, version: 31, classID: 1023, name: 512)

    /// Per-key value limits, in characters (before escaping); other keys: 1023.
    public static let valueLimits: [String: Int] = [
        "externalId": 40, "act": 63, "outcome": 63, "dvchost": 100,
        "suser": 1023, "duser": 1023, "reason": 1023, "request": 1023, "msg": 1023, "cat": 1023,
        "cs1": 4000, "cs2": 4000, "cs3": 4000, "cs4": 4000, "cs5": 4000, "cs6": 4000,
    ]

    public static func encode(_ event: CEFEvent) throws(CEFError) -> String {
        guard (0...10).contains(event.severity) else { throw .severityOutOfRange(event.severity) }
        var out = "CEF:0|"
        out += header(event.vendor, limit: headerLimits.vendor) + "|"
        out += header(event.product, limit: headerLimits.product) + "|"
        out += header(event.version, limit: headerLimits.version) + "|"
        out += header(event.classID, limit: headerLimits.classID) + "|"
        out += header(event.name, limit: headerLimits.name) + "|"
        out += String(event.severity) + "|"
        var first = true
        for (key, value) in event.extensions {
            guard !key.isEmpty,
                key.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
                )
            else { throw .invalidKey(key) }
            if !first { out += " " }
            first = false
            out += key + "=" + extensionValue(value, limit: valueLimits[key] ?? 1023)
        }
        return out
    }

    /// A header field: `\` and `|` escaped, CR, LF and other controls as spaces.
    public static func header(_ value: String, limit: Int) -> String {
        var out = ""
        for character in value.prefix(limit) {
            switch character {
            case "\\": out += "\\\\"
            case "|": out += "\\|"
            default: out.append(isControl(character) ? " " : character)
            }
        }
        return out
    }

    /// An extension value: `\` then `=` escaped, CR as `\r`, LF as `\n`, CRLF
    /// as `\r\n`; other controls as spaces; `|` left alone.
    public static func extensionValue(_ value: String, limit: Int) -> String {
        var out = ""
        for scalar in String(value.prefix(limit)).unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "=": out += "\\="
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
                    out += " "
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    private static func isControl(_ character: Character) -> Bool {
        character.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }
    }
}
