import COpenSSL
import Ledger

/// Name-based UUIDs (RFC 9562 version 5: SHA-1 over a namespace and a name).
///
/// Used as `event_id` for records that carry none, so that the same record
/// delivered or exported twice gets the same id and de-duplicates in every
/// sink. SHA-1's weakness does not matter here: the id is a de-duplication
/// key, not a proof; the ledger's SHA-256 tree is the proof.
public enum NameBasedUUID {
    /// Countersign's namespace for gateway records (a random version 4 UUID, fixed forever).
    public static let recordNamespace: [UInt8] = [
        0x6f, 0x0c, 0x1e, 0x5a, 0x93, 0x2d, 0x4b, 0x71, 0xa8, 0x4e, 0x0d, 0x52, 0xc9, 0x37, 0xe1, 0x86,
    ]

    /// The version 5 UUID of `name` in `namespace`, in its lowercase text form.
    public static func version5(namespace: [UInt8] = recordNamespace, name: [UInt8]) -> String {
        version5(namespace: namespace, parts: [name])
    }

    /// The same over the concatenation of `parts`, without copying them together.
    public static func version5(namespace: [UInt8] = recordNamespace, parts: [[UInt8]]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha1(), nil)
        namespace.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        for part in parts { part.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) } }
        EVP_DigestFinal_ex(context, &digest, &length)
        var uuid = Array(digest[0..<16])
        uuid[6] = (uuid[6] & 0x0F) | 0x50
        uuid[8] = (uuid[8] & 0x3F) | 0x80
        return format(uuid)
    }

    /// The 8-4-4-4-12 text form of 16 bytes.
    static func format(_ bytes: [UInt8]) -> String {
        let hex = MessageDigest.hex(bytes)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            hex.utf8.dropFirst(range.lowerBound).prefix(range.count)
        }
        return parts.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "-")
    }
}

/// SHA-256 of bytes as lowercase hex (the ledger's own hasher: the same
/// digest `ledger prove` prints as entry_sha256): binds a hot-tier row to
/// the Kafka message and ledger leaf its record came in.
enum MessageDigest {
    static func sha256Hex(_ bytes: [UInt8]) -> String { SHA256Hasher().sha256(bytes).hex }

    static func hex(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
