/// How a consumed message is stored as a ledger entry. Bundles hold
/// entries of at most 65,535 bytes (a big-endian uint16 length each).
/// Larger messages, and any message that itself begins with the pointer
/// prefix, are stored by content address: the file `large/<sha256 hex>`
/// holds the bytes, and the entry (so the leaf) is the pointer text
/// `countersign-large-entry/1 <sha256 hex> <length>`. The proof chain stays
/// whole: message -> SHA-256 -> pointer entry -> leaf -> root.
public enum LedgerEntry {
    public static let maxInline = 65_535
    public static let pointerPrefix = Array("countersign-large-entry/1 ".utf8)

    static func needsPointer(_ bytes: [UInt8]) -> Bool {
        bytes.count > maxInline || bytes.starts(with: pointerPrefix)
    }

    static func pointer(digest: Hash, length: Int) -> [UInt8] {
        pointerPrefix + Array("\(digest.hex) \(length)".utf8)
    }

    /// (digest, length) when `entry` is a pointer.
    static func parsePointer(_ entry: [UInt8]) -> (digest: Hash, length: Int)? {
        guard entry.starts(with: pointerPrefix) else { return nil }
        let fields = String(decoding: entry.dropFirst(pointerPrefix.count), as: UTF8.self).split(separator: " ")
        guard fields.count == 2, let digest = Hash(hex: fields[0]), let length = Int(fields[1]) else { return nil }
        return (digest, length)
    }

    static func largePath(_ digest: Hash) -> String { "large/\(digest.hex)" }

    /// A bundle: each entry as a big-endian uint16 length and its bytes.
    static func bundle(_ entries: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.reduce(0) { $0 + 2 + $1.count })
        for entry in entries {
            out.append(UInt8(entry.count >> 8))
            out.append(UInt8(entry.count & 0xFF))
            out += entry
        }
        return out
    }

    /// The entries of a bundle; nil when the lengths do not add up.
    static func parseBundle(_ data: [UInt8]) -> [[UInt8]]? {
        var entries: [[UInt8]] = []
        var offset = 0
        while offset < data.count {
            guard offset + 2 <= data.count else { return nil }
            let length = Int(data[offset]) << 8 | Int(data[offset + 1])
            guard offset + 2 + length <= data.count else { return nil }
            entries.append(Array(data[(offset + 2)..<(offset + 2 + length)]))
            offset += 2 + length
        }
        return entries
    }
}
