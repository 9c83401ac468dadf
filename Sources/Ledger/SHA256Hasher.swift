import COpenSSL

/// RFC 9162 hashing through OpenSSL's SHA-256: leaf = H(0x00 || entry),
/// node = H(0x01 || left || right). One instance owns one digest context
/// and is used by one thread at a time.
public final class SHA256Hasher {
    private let context: OpaquePointer
    private let digest: OpaquePointer

    public init() {
        context = EVP_MD_CTX_new()
        digest = EVP_sha256()
    }

    deinit { EVP_MD_CTX_free(context) }

    /// SHA-256 of the empty string: the root of the empty tree.
    public static let emptyRoot = Hash(hex: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")!

    public func leafHash(_ entry: UnsafeRawBufferPointer) -> Hash {
        var prefix: UInt8 = 0
        return finish { ctx in
            EVP_DigestUpdate(ctx, &prefix, 1)
            EVP_DigestUpdate(ctx, entry.baseAddress, entry.count)
        }
    }

    public func leafHash(_ entry: [UInt8]) -> Hash { entry.withUnsafeBytes { leafHash($0) } }

    public func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        var prefix: UInt8 = 1
        return finish { ctx in
            EVP_DigestUpdate(ctx, &prefix, 1)
            left.withUnsafeBytes { _ = EVP_DigestUpdate(ctx, $0.baseAddress, 32) }
            right.withUnsafeBytes { _ = EVP_DigestUpdate(ctx, $0.baseAddress, 32) }
        }
    }

    /// Plain SHA-256 (content addresses of oversized entries, key ids).
    public func sha256(_ bytes: [UInt8]) -> Hash {
        finish { ctx in bytes.withUnsafeBytes { _ = EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) } }
    }

    private func finish(_ update: (OpaquePointer) -> Void) -> Hash {
        EVP_DigestInit_ex(context, digest, nil)
        update(context)
        var out = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &out) { buffer in
            _ = EVP_DigestFinal_ex(context, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), nil)
        }
        return Hash(words: out)
    }
}
