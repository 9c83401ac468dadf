import AuditEvent

/// Times as gateways write them: RFC 3339 (also with a space for `T` and
/// without an offset, read as UTC, as database rows often are), or a number
/// since the Unix epoch whose unit follows from its size (seconds below
/// 10^11, milliseconds below 10^14, microseconds below 10^17, else
/// nanoseconds: each covers 1973 to 5138 in its unit).
public enum RecordTime {
    public static func parse(_ value: RecordValue) -> Timestamp? {
        switch value {
        case .string(let text):
            if let time = parse(text: text) { return time }
            return Double(text).flatMap { epoch($0) }
        case .integer(let integer): return epoch(Double(integer), exact: integer)
        case .double(let double): return epoch(double)
        case .timestamp(let time): return time
        default: return nil
        }
    }

    public static func parse(text: String) -> Timestamp? {
        var bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return nil }
        if bytes[10] == UInt8(ascii: " ") { bytes[10] = UInt8(ascii: "T") }
        let tail = bytes[19...]
        let hasOffset =
            tail.contains { $0 == UInt8(ascii: "Z") || $0 == UInt8(ascii: "z") || $0 == UInt8(ascii: "+") }
            || tail.contains(UInt8(ascii: "-"))
        if !hasOffset { bytes.append(UInt8(ascii: "Z")) }
        let result = bytes.withUnsafeBufferPointer { Timestamp.parse(rfc3339: $0) }
        if case .success(let time) = result { return time }
        return nil
    }

    static func epoch(_ number: Double, exact: Int64? = nil) -> Timestamp? {
        guard number.isFinite, number >= 0 else { return nil }
        if let exact, number >= 1e17 { return Timestamp(microsecondsSinceEpoch: exact / 1_000) }
        let micros: Double
        switch number {
        case ..<1e11: micros = number * 1e6
        case ..<1e14: micros = number * 1e3
        case ..<1e17: micros = number
        default: micros = number / 1e3
        }
        guard micros < 9e18 else { return nil }
        return Timestamp(microsecondsSinceEpoch: Int64(micros.rounded(.down)))
    }
}
