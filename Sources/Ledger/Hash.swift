import Foundation

/// A SHA-256 value: a leaf hash, a node hash or a tree root. Stored inline
/// (four words) so that tiles and proofs do not allocate per hash.
public struct Hash: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    var words: (UInt64, UInt64, UInt64, UInt64)

    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == Self.byteCount, "a SHA-256 hash is 32 bytes")
        words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { destination in
            for (index, byte) in bytes.enumerated() { destination[index] = byte }
        }
    }

    init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    init(pointer: UnsafeRawPointer) {
        words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: 32)) }
    }

    /// Nil unless exactly 32 bytes (a proof component of another length is refused).
    public init?(exactly bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        self.init(bytes: bytes)
    }

    public init?(base64 text: some StringProtocol) {
        guard let data = Data(base64Encoded: String(text)) else { return nil }
        self.init(exactly: Array(data))
    }

    public init?(hex text: some StringProtocol) {
        let characters = Array(text.utf8)
        guard characters.count == 64 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(decoding: characters[index..<(index + 2)], as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(byte)
        }
        self.init(bytes: bytes)
    }

    public var bytes: [UInt8] { Swift.withUnsafeBytes(of: words) { Array($0) } }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    public var hex: String { bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined() }
    public var base64: String { Data(bytes).base64EncodedString() }
    public var description: String { hex }

    public static func == (a: Hash, b: Hash) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
