/// ArcSight Common Event Format, exact to the spec's escaping rules:
/// `CEF:0|Vendor|Product|Version|Class ID|Name|Severity|k=v k=v ...`.
///
/// Header fields escape `\` and `|`, and turn CR/LF into spaces; extension
/// values escape `\`, `=`, CR and LF (and nothing else); keys must be
/// alphanumeric. Other control characters become spaces everywhere, and
/// invalid UTF-8 can not arise: values are Swift Strings. So no value, however
/// hostile, can add, remove or shift a field. Length limits apply to the
/// value before escaping, in Unicode scalars, and cut it at the limit.
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
        String(decoding: try encodeBytes(event), as: UTF8.self)
    }

    /// The same, as UTF-8 bytes: escaping works on bytes (every character it
    /// touches is ASCII), which is several times faster than on Characters.
    public static func encodeBytes(_ event: CEFEvent) throws(CEFError) -> [UInt8] {
        guard (0...10).contains(event.severity) else { throw .severityOutOfRange(event.severity) }
        var out: [UInt8] = []
        out.reserveCapacity(512)
        headerBeforeName(event, into: &out)
        header(event.name, limit: headerLimits.name, into: &out)
        out += String(event.severity).utf8
        out.append(UInt8(ascii: "|"))
        var first = true
        for (key, value) in event.extensions {
            guard !key.isEmpty, key.utf8.allSatisfy({ isAlphanumeric($0) }) else { throw .invalidKey(key) }
            if !first { out.append(UInt8(ascii: " ")) }
            first = false
            out += key.utf8
            out.append(UInt8(ascii: "="))
            extensionValue(value, limit: valueLimits[key] ?? 1023, into: &out)
        }
        return out
    }

    /// `CEF:0|` and the header fields before the name, each with its `|`.
    private static func headerBeforeName(_ event: CEFEvent, into out: inout [UInt8]) {
        out += "CEF:0|".utf8
        header(event.vendor, limit: headerLimits.vendor, into: &out)
        header(event.product, limit: headerLimits.product, into: &out)
        header(event.version, limit: headerLimits.version, into: &out)
        header(event.classID, limit: headerLimits.classID, into: &out)
    }

    /// A header field then `|`: `\` and `|` escaped, CR, LF and other controls as spaces.
    public static func header(_ value: String, limit: Int, into out: inout [UInt8]) {
        escape(value, limit: limit, into: &out) { byte, out in
            switch byte {
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case UInt8(ascii: "|"): out += [0x5C, 0x7C]
            default: return false
            }
            return true
        }
        out.append(UInt8(ascii: "|"))
    }

    /// An extension value: `\` then `=` escaped, CR as `\r`, LF as `\n`; other
    /// controls as spaces; `|` left alone.
    public static func extensionValue(_ value: String, limit: Int, into out: inout [UInt8]) {
        escape(value, limit: limit, into: &out) { byte, out in
            switch byte {
            case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
            case UInt8(ascii: "="): out += [0x5C, 0x3D]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            default: return false
            }
            return true
        }
    }

    /// Copies at most `limit` Unicode scalars of `value`, letting `special`
    /// handle a byte first; C0 controls, DEL and C1 controls (U+0080-U+009F,
    /// bytes C2 80-9F) become a space.
    @inline(__always)
    private static func escape(
        _ value: String,
        limit: Int,
        into out: inout [UInt8],
        special: (UInt8, inout [UInt8]) -> Bool
    ) {
        var value = value
        value.withUTF8 { bytes in
            var scalars = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte & 0xC0 != 0x80 {
                    if scalars == limit { break }
                    scalars += 1
                }
                if byte < 0x80 {
                    if !special(byte, &out) { out.append(byte < 0x20 || byte == 0x7F ? 0x20 : byte) }
                } else if byte == 0xC2, index + 1 < bytes.count, (0x80...0x9F).contains(bytes[index + 1]) {
                    out.append(0x20)
                    index += 1
                } else {
                    out.append(byte)
                }
                index += 1
            }
        }
    }

    /// Keys whose values are never shortened to make a message fit: short by
    /// their caps, and what a SOC keys on (time, id, outcome, category).
    static let keptWhole: Set<String> = [
        "rt", "externalId", "act", "outcome", "cat", "start", "end", "cfp1", "cn1", "in", "out", "src",
    ]
    /// A shortened value keeps at least this many bytes.
    static let shortestCut = 32

    /// The event in at most `maxBytes` bytes, every field intact: when the
    /// whole encoding is longer, the longest free-text values (custom strings,
    /// reason, request, user) are cut, at a character and escape boundary,
    /// until it fits; keys, the header and ``keptWhole`` values stay. Only if
    /// that is not enough (a tiny limit) is the text itself cut, again never
    /// inside an escape or a UTF-8 sequence. `shortened` says whether anything was cut.
    public static func encodeBytes(
        _ event: CEFEvent,
        maxBytes: Int
    ) throws(CEFError) -> (bytes: [UInt8], shortened: Bool) {
        let whole = try encodeBytes(event)
        guard whole.count > maxBytes else { return (whole, false) }
        var head: [UInt8] = []
        headerBeforeName(event, into: &head)
        var name: [UInt8] = []
        header(event.name, limit: headerLimits.name, into: &name)
        name.removeLast()  // its `|`, put back below
        let severity = Array(String(event.severity).utf8) + [UInt8(ascii: "|")]
        var values: [[UInt8]] = event.extensions.map { pair in
            var value: [UInt8] = []
            extensionValue(pair.value, limit: valueLimits[pair.key] ?? 1023, into: &value)
            return value
        }
        let keys = event.extensions.map(\.key)
        let fixed =
            head.count + name.count + 1 + severity.count + keys.reduce(0) { $0 + $1.utf8.count + 1 }
            + max(0, keys.count - 1)
        var excess = fixed + values.reduce(0) { $0 + $1.count } - maxBytes
        let order = values.indices.filter { !keptWhole.contains(keys[$0]) && !keys[$0].hasSuffix("Label") }
            .sorted { values[$0].count > values[$1].count }
        for index in order where excess > 0 {
            let target = max(shortestCut, values[index].count - excess)
            guard target < values[index].count else { continue }
            let cut = safePrefixLength(values[index], atMost: target)
            excess -= values[index].count - cut
            values[index].removeSubrange(cut...)
        }
        // Then the name (it repeats the tool), down to the same floor.
        if excess > 0, name.count > shortestCut {
            let cut = safePrefixLength(name, atMost: max(shortestCut, name.count - excess))
            excess -= name.count - cut
            name.removeSubrange(cut...)
        }
        var out = head + name + [UInt8(ascii: "|")] + severity
        for (index, key) in keys.enumerated() {
            if index > 0 { out.append(UInt8(ascii: " ")) }
            out += key.utf8
            out.append(UInt8(ascii: "="))
            out += values[index]
        }
        if out.count > maxBytes { out.removeSubrange(safePrefixLength(out, atMost: maxBytes)...) }
        return (out, true)
    }

    /// The length of the longest prefix of encoded CEF text, at most `limit`
    /// bytes, that ends between two characters: never after the lone `\` of an
    /// escape pair, never inside a UTF-8 sequence. In encoded CEF every `\`
    /// starts a two-byte escape, so the text can be read unit by unit.
    public static func safePrefixLength(_ bytes: [UInt8], atMost limit: Int) -> Int {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let unit =
                if byte == 0x5C {
                    2
                } else if byte < 0x80 {
                    1
                } else if byte >= 0xF0 {
                    4
                } else if byte >= 0xE0 {
                    3
                } else if byte >= 0xC0 {
                    2
                } else {
                    1
                }
            if index + unit > limit { break }
            index += unit
        }
        return min(index, bytes.count)
    }

    @inline(__always)
    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

}
