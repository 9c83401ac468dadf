/// An instant in UTC with microsecond resolution: the event time of `mcp.audit/1`.
///
/// Parsed from RFC 3339 without Foundation (the decoder's hot path) and
/// formatted back deterministically, so that alerts derived from events are
/// byte-identical across runs.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// Milliseconds since the epoch, rounded down (CEF `rt`).
    public var millisecondsSinceEpoch: Int64 {
        floorDivide(microsecondsSinceEpoch, 1000)
    }

    /// RFC 3339 in UTC: three fractional digits when the instant is a whole
    /// millisecond, six otherwise.
    public var description: String { rfc3339 }

    public var rfc3339: String {
        let micros = microsecondsSinceEpoch
        let days = floorDivide(micros, 86_400_000_000)
        let inDay = micros - days * 86_400_000_000
        let (year, month, day) = civilFromDays(days)
        let seconds = inDay / 1_000_000
        let fraction = inDay % 1_000_000
        var text = ""
        text.reserveCapacity(27)
        appendPadded(&text, year, width: 4)
        text += "-"
        appendPadded(&text, month, width: 2)
        text += "-"
        appendPadded(&text, day, width: 2)
        text += "T"
        appendPadded(&text, seconds / 3600, width: 2)
        text += ":"
        appendPadded(&text, seconds / 60 % 60, width: 2)
        text += ":"
        appendPadded(&text, seconds % 60, width: 2)
        text += "."
        if fraction % 1000 == 0 {
            appendPadded(&text, fraction / 1000, width: 3)
        } else {
            appendPadded(&text, fraction, width: 6)
        }
        text += "Z"
        return text
    }
}

extension Timestamp {
    /// Why an RFC 3339 text was refused; never quotes the text.
    public enum ParseFailure: String, Error, Sendable, Hashable {
        case syntax = "not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.frac]Z)"
        case fieldRange = "a date or time field is out of range"
        case fractionTooLong = "more than 9 fractional second digits"
        case missingOffset = "no time zone (Z or +hh:mm) given"
    }

    /// Parses an RFC 3339 date-time. `Z` and numeric offsets are accepted and
    /// converted to UTC; fractions beyond microseconds (up to nanoseconds) are
    /// truncated; a leap second (:60) is held at the last microsecond of its minute.
    public static func parse(rfc3339 bytes: UnsafeBufferPointer<UInt8>) -> Result<Timestamp, ParseFailure> {
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.number(4), reader.skip(UInt8(ascii: "-")),
            let month = reader.number(2), reader.skip(UInt8(ascii: "-")),
            let day = reader.number(2)
        else { return .failure(.syntax) }
        guard reader.skip(UInt8(ascii: "T")) || reader.skip(UInt8(ascii: "t")) else { return .failure(.syntax) }
        guard let hour = reader.number(2), reader.skip(UInt8(ascii: ":")),
            let minute = reader.number(2), reader.skip(UInt8(ascii: ":")),
            var second = reader.number(2)
        else { return .failure(.syntax) }
        var micros: Int64 = 0
        if reader.skip(UInt8(ascii: ".")) {
            var digits = 0
            while let digit = reader.digit() {
                digits += 1
                if digits <= 6 { micros = micros * 10 + digit }
            }
            if digits == 0 { return .failure(.syntax) }
            if digits > 9 { return .failure(.fractionTooLong) }
            if digits < 6 {
                for _ in digits..<6 { micros *= 10 }
            }
        }
        var offsetSeconds: Int64 = 0
        if reader.skip(UInt8(ascii: "Z")) || reader.skip(UInt8(ascii: "z")) {
            offsetSeconds = 0
        } else if let sign = reader.sign() {
            guard let offsetHour = reader.number(2), reader.skip(UInt8(ascii: ":")),
                let offsetMinute = reader.number(2)
            else { return .failure(.syntax) }
            guard offsetHour <= 23, offsetMinute <= 59 else { return .failure(.fieldRange) }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
        } else {
            return .failure(reader.atEnd ? .missingOffset : .syntax)
        }
        guard reader.atEnd else { return .failure(.syntax) }
        guard month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month),
            hour <= 23, minute <= 59, second <= 60
        else { return .failure(.fieldRange) }
        if second == 60 {
            second = 59
            micros = 999_999
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return .success(Timestamp(microsecondsSinceEpoch: seconds * 1_000_000 + micros))
    }

    /// Parses an RFC 3339 date-time held in a String.
    public static func parse(rfc3339 text: String) -> Result<Timestamp, ParseFailure> {
        var text = text
        return text.withUTF8 { parse(rfc3339: $0) }
    }
}

/// Reads fixed-width decimal fields without allocating.
private struct DigitReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    var atEnd: Bool { index == bytes.count }

    mutating func digit() -> Int64? {
        guard index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 else { return nil }
        defer { index += 1 }
        return Int64(bytes[index] - 0x30)
    }

    mutating func number(_ width: Int) -> Int64? {
        var value: Int64 = 0
        for _ in 0..<width {
            guard let d = digit() else { return nil }
            value = value * 10 + d
        }
        return value
    }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func sign() -> Int64? {
        if skip(UInt8(ascii: "+")) { return 1 }
        if skip(UInt8(ascii: "-")) { return -1 }
        return nil
    }
}

private func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

private func isLeapYear(_ year: Int64) -> Bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

private func daysInMonth(year: Int64, month: Int64) -> Int64 {
    switch month {
    case 2: isLeapYear(year) ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
private func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = floorDivide(y, 400)
    let yearOfEra = y - era * 400
    let monthIndex = month > 2 ? month - 3 : month + 9
    let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
}

private func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
    let z = days + 719_468
    let era = floorDivide(z, 146_097)
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
}

private func appendPadded(_ text: inout String, _ value: Int64, width: Int) {
    let digits = String(value)
    if digits.count < width {
        text += String(repeating: "0", count: width - digits.count)
    }
    text += digits
}
