/// A small, fast, seedable generator: the same seed gives the same traffic on
/// every machine, which `RandomNumberGenerator`'s system default cannot.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A UUID-shaped (version 4 layout) identifier from the stream.
    public mutating func uuid() -> String {
        let high = next()
        let low = next()
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for i in 0..<32 {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
            let word = i < 16 ? high : low
            var nibble = Int((word >> UInt64(60 - (i % 16) * 4)) & 0xF)
            if i == 12 { nibble = 4 }
            if i == 16 { nibble = 8 | (nibble & 3) }
            out.append(hex[nibble])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A lower-case hex string of `count` digits.
    public mutating func hex(count: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count)
        var word = next()
        for i in 0..<count {
            if i % 16 == 0, i > 0 { word = next() }
            out.append(digits[Int(word & 0xF)])
            word >>= 4
        }
        return String(decoding: out, as: UTF8.self)
    }
}
