/// A SHA-256 digest held as 32 bytes, not as 64 hex characters: it is on
/// every event, and a heap-allocated string per event costs more than the
/// rest of the request object.
public struct SHA256Digest: Sendable, Hashable, CustomStringConvertible {
    public var high: UInt64
    public var midHigh: UInt64
    public var midLow: UInt64
    public var low: UInt64

    public init(high: UInt64, midHigh: UInt64, midLow: UInt64, low: UInt64) {
        self.high = high
        self.midHigh = midHigh
        self.midLow = midLow
        self.low = low
    }

    /// Parses 64 hexadecimal digits (either case); nil for anything else.
    public init?(hex bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 64, let base = bytes.baseAddress else { return nil }
        // A table lookup per character, no branches: digits and letters
        // alternate at random in a hash, so a branch would mispredict often.
        let digest: SHA256Digest? = hexDigitValues.withUnsafeBufferPointer { table in
            var invalid: UInt8 = 0
            func word(_ offset: Int) -> UInt64 {
                var value: UInt64 = 0
                for i in offset..<(offset + 16) {
                    let digit = table[Int(base[i])]
                    invalid |= digit
                    value = value << 4 | UInt64(digit & 0xF)
                }
                return value
            }
            let digest = SHA256Digest(high: word(0), midHigh: word(16), midLow: word(32), low: word(48))
            return invalid & 0xF0 == 0 ? digest : nil
        }
        guard let digest else { return nil }
        self = digest
    }

    /// Parses 64 hexadecimal digits held in a String.
    public init?(hex text: String) {
        var text = text
        guard let digest = text.withUTF8({ SHA256Digest(hex: $0) }) else { return nil }
        self = digest
    }

    /// Lower-case hexadecimal, as the contract writes it.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for word in [high, midHigh, midLow, low] {
            for shift in stride(from: 60, through: 0, by: -4) {
                out.append(digits[Int((word >> UInt64(shift)) & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { hex }
}

/// The value of each byte as a hexadecimal digit, or 0xFF for any other byte.
private let hexDigitValues: [UInt8] = (0...255).map { byte in
    switch UInt8(byte) {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(byte) - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt8(byte) - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt8(byte) - UInt8(ascii: "A") + 10
    default: 0xFF
    }
}
