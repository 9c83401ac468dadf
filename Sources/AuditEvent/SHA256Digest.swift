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
        guard bytes.count == 64 else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var valid: UInt8 = 1
        for word in 0..<4 {
            var value: UInt64 = 0
            for i in 0..<16 {
                let byte = bytes[word * 16 + i]
                let digit = byte &- UInt8(ascii: "0")
                let letter = (byte | 0x20) &- UInt8(ascii: "a")
                // Branch-free: digits and letters alternate at random in a hash.
                let isDigit: UInt8 = digit < 10 ? 1 : 0
                let isLetter: UInt8 = letter < 6 ? 1 : 0
                valid &= isDigit | isLetter
                let nibble = isDigit == 1 ? digit : letter &+ 10
                value = value << 4 | UInt64(nibble & 0xF)
            }
            switch word {
            case 0: words.0 = value
            case 1: words.1 = value
            case 2: words.2 = value
            default: words.3 = value
            }
        }
        guard valid == 1 else { return nil }
        self.init(high: words.0, midHigh: words.1, midLow: words.2, low: words.3)
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
