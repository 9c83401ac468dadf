/// Appends compact JSON to a byte buffer, escaping strings per RFC 8259.
///
/// Small on purpose: the project writes known shapes (events, alerts), so a
/// general encoder buys nothing, and a deterministic byte layout matters more.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = [false]
    /// A run-time key was just written: the next value follows it without a comma.
    private var afterName = false

    public init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    public mutating func beginObject(_ key: StaticString? = nil) {
        if let key { self.key(key) } else { valueStart() }
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    public mutating func endObject() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func field(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        self.key(key)
        string(value)
    }

    public mutating func field(_ key: StaticString, _ value: Int64?) {
        guard let value else { return }
        self.key(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func field(_ key: StaticString, _ value: Double?) {
        guard let value, value.isFinite else { return }
        self.key(key)
        if value == value.rounded(), abs(value) < 1e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    public mutating func field(_ key: StaticString, _ values: [String]?) {
        guard let values else { return }
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    public mutating func field(_ key: StaticString, _ value: RawJSON?) {
        guard let value else { return }
        self.key(key)
        bytes.append(contentsOf: value.text.utf8)
    }

    /// A member whose key is only known at run time (kept unknown fields).
    public mutating func field(dynamicKey key: String, _ value: RawJSON) {
        separate()
        string(key)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: value.text.utf8)
    }

    public mutating func nullField(_ key: StaticString) {
        self.key(key)
        bytes.append(contentsOf: "null".utf8)
    }

    /// A member key known only at run time; the next call writes its value.
    public mutating func name(_ key: String) {
        separate()
        string(key)
        bytes.append(UInt8(ascii: ":"))
        afterName = true
    }

    /// A string value (after ``name(_:)`` or inside an array).
    public mutating func value(_ text: String) {
        valueStart()
        string(text)
    }

    public mutating func value(_ number: Int64) {
        valueStart()
        bytes.append(contentsOf: String(number).utf8)
    }

    /// A finite number as JSON; NaN and infinities (not JSON) become null.
    public mutating func value(_ number: Double) {
        valueStart()
        guard number.isFinite else { return bytes.append(contentsOf: "null".utf8) }
        if number == number.rounded(), abs(number) < 1e15 {
            bytes.append(contentsOf: String(Int64(number)).utf8)
        } else {
            bytes.append(contentsOf: number.description.utf8)
        }
    }

    public mutating func value(_ flag: Bool) {
        valueStart()
        bytes.append(contentsOf: (flag ? "true" : "false").utf8)
    }

    /// JSON bytes written as they are (a value already validated elsewhere).
    public mutating func value(rawBytes: [UInt8]) {
        valueStart()
        bytes.append(contentsOf: rawBytes)
    }

    public mutating func nullValue() {
        valueStart()
        bytes.append(contentsOf: "null".utf8)
    }

    public mutating func beginArray() {
        valueStart()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    public mutating func endArray() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func valueStart() {
        if afterName {
            afterName = false
        } else {
            separate()
        }
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    private mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: "\":".utf8)
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings need no escape: append them whole.
        let plain = value.utf8.withContiguousStorageIfAvailable { buffer in
            var special: UInt8 = 0
            for byte in buffer {
                special |= (byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")) ? 1 : 0
            }
            if special == 0 { bytes.append(contentsOf: buffer) }
            return special == 0
        }
        if plain == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20:
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
