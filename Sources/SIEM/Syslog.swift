import AuditEvent

/// Syslog messages around a CEF payload: RFC 5424 (default) or RFC 3164,
/// and the RFC 6587 framings for stream transports.
public struct SyslogFormat: Sendable, Hashable {
    public enum Standard: String, Sendable, Hashable, CaseIterable {
        case rfc5424
        case rfc3164
    }

    public var standard: Standard = .rfc5424
    /// 0-23; 13 (log audit) by default, 4 or 10 for security/auth, 16-23 for local0-7.
    public var facility: Int = 13
    public var hostname: String = "-"
    public var appName: String = "countersign"
    public var procID: String = "-"
    /// RFC 5424 says a UTF-8 MSG starts with a BOM; many collectors choke on
    /// it, so it can be turned off.
    public var byteOrderMark: Bool = true
    /// Private SD-ID for the structured data (32473 is the documentation enterprise number).
    public var sdID: String = "countersign@32473"

    public init() {}

    /// CEF severity 0-10 to syslog severity 0-7: 9-10 critical (2), 7-8 error
    /// (3), 4-6 warning (4), 1-3 notice (5), 0 informational (6).
    public static func syslogSeverity(cef: Int) -> Int {
        switch cef {
        case 9...: 2
        case 7...8: 3
        case 4...6: 4
        case 1...3: 5
        default: 6
        }
    }

    /// One message: header, structured data (5424) and the CEF payload.
    /// `msgID` is the CEF class (e.g. `detection:spike`), `structured` the
    /// SD-PARAMs (name, value) of the private element.
    public func message(
        cef: String,
        severity cefSeverity: Int,
        time: Timestamp,
        msgID: String,
        structured: [(String, String)]
    ) -> [UInt8] {
        message(cefBytes: Array(cef.utf8), severity: cefSeverity, time: time, msgID: msgID, structured: structured)
    }

    /// The same with the CEF payload already as UTF-8 bytes.
    public func message(
        cefBytes cef: [UInt8],
        severity cefSeverity: Int,
        time: Timestamp,
        msgID: String,
        structured: [(String, String)]
    ) -> [UInt8] {
        let pri = "<\(facility * 8 + Self.syslogSeverity(cef: cefSeverity))>"
        switch standard {
        case .rfc5424:
            // Built as bytes: this runs once per message on the hot path.
            var bytes: [UInt8] = []
            bytes.reserveCapacity(160 + cef.count)
            bytes += pri.utf8
            bytes += "1 ".utf8
            bytes += Self.rfc5424Time(time).utf8
            for (value, limit) in [(hostname, 255), (appName, 48), (procID, 128), (msgID, 32)] {
                bytes.append(0x20)
                bytes += Self.field(value, limit).utf8
            }
            bytes.append(0x20)
            if structured.isEmpty {
                bytes.append(UInt8(ascii: "-"))
            } else {
                bytes.append(UInt8(ascii: "["))
                bytes += Self.field(sdID, 32).utf8
                for (name, value) in structured {
                    bytes.append(0x20)
                    bytes += Self.field(name, 32).utf8
                    bytes += "=\"".utf8
                    bytes += Self.paramValue(value).utf8
                    bytes.append(UInt8(ascii: "\""))
                }
                bytes.append(UInt8(ascii: "]"))
            }
            bytes.append(0x20)
            if byteOrderMark { bytes += [0xEF, 0xBB, 0xBF] }
            bytes += cef
            return bytes
        case .rfc3164:
            let tag = String(Self.field(appName, 32).prefix(32))
            return Array((pri + Self.rfc3164Time(time) + " " + Self.field(hostname, 255) + " " + tag + ": ").utf8) + cef
        }
    }

    /// RFC 6587 octet counting: `LEN SP MSG`.
    public static func octetCounted(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        appendOctetCounted(message, to: &out)
        return out
    }

    /// RFC 6587 non-transparent framing: the message then LF. (A CEF payload
    /// never holds a raw LF: the encoder escapes it.)
    public static func lineFramed(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        appendLineFramed(message, to: &out)
        return out
    }

    /// The framings appended to a stream in place (the send path frames a
    /// whole batch into one buffer).
    public static func appendOctetCounted(_ message: [UInt8], to stream: inout [UInt8]) {
        stream += String(message.count).utf8
        stream.append(0x20)
        stream += message
    }

    public static func appendLineFramed(_ message: [UInt8], to stream: inout [UInt8]) {
        stream += message
        stream.append(0x0A)
    }

    /// A header field: printable US-ASCII (33-126) only, at most `limit`; `-` when empty.
    static func field(_ value: String, _ limit: Int) -> String {
        // The usual case, checked on bytes: already printable ASCII and short enough.
        if !value.isEmpty, value.utf8.count <= limit, value.utf8.allSatisfy({ (33...126).contains($0) }) {
            return value
        }
        let kept = value.unicodeScalars.filter { (33...126).contains($0.value) }.prefix(limit)
        return kept.isEmpty ? "-" : String(String.UnicodeScalarView(kept))
    }

    /// Most Unicode scalars of an SD-PARAM value (a tenant id), cut before
    /// escaping so that an escape is never split: whoever names a tenant
    /// cannot push the CEF payload out of the message.
    public static let paramValueLimit = 128

    /// An SD-PARAM value: at most `limit` scalars, `"`, `\` and `]` escaped,
    /// control characters as spaces.
    static func paramValue(_ value: String, limit: Int = paramValueLimit) -> String {
        let value =
            value.utf8.count <= limit
            ? value : String(String.UnicodeScalarView(value.unicodeScalars.prefix(limit)))
        if !value.utf8.contains(where: { $0 == 0x22 || $0 == 0x5C || $0 == 0x5D || $0 < 0x20 || $0 == 0x7F }) {
            return value
        }
        var out = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"", "\\", "]":
                out.append("\\")
                out.append(scalar)
            // A raw LF would end the message early under line framing.
            case "\u{00}"..."\u{1F}", "\u{7F}": out.append(" ")
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// RFC 3339 with upper-case T and Z and millisecond precision.
    static func rfc5424Time(_ time: Timestamp) -> String { time.rfc3339 }

    /// `Mmm dd hh:mm:ss` (day space-padded), UTC.
    static func rfc3164Time(_ time: Timestamp) -> String {
        let text = time.rfc3339  // 2026-08-20T10:15:02.481Z
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let parts = text.split(separator: "T")
        let date = parts[0].split(separator: "-")
        let month = months[(Int(date[1]) ?? 1) - 1]
        let day = Int(date[2]) ?? 1
        let clock = parts[1].prefix(8)
        return "\(month) \(day < 10 ? " " : "")\(day) \(clock)"
    }
}
