import COpenSSL

public struct LedgerKeyError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// One Ed25519 key (private, or public only) in an OpenSSL EVP_PKEY.
final class Ed25519Key {
    private let key: OpaquePointer
    let publicKey: [UInt8]

    /// From the 32-byte seed (RFC 8032 private key).
    init(seed: [UInt8]) throws(LedgerKeyError) {
        guard seed.count == 32,
            let key = seed.withUnsafeBufferPointer({
                EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32)
            })
        else { throw LedgerKeyError(description: "not an Ed25519 private key") }
        self.key = key
        var length = 32
        var out = [UInt8](repeating: 0, count: 32)
        guard EVP_PKEY_get_raw_public_key(key, &out, &length) == 1, length == 32 else {
            EVP_PKEY_free(key)
            throw LedgerKeyError(description: "cannot derive the Ed25519 public key")
        }
        publicKey = out
    }

    init(publicKey: [UInt8]) throws(LedgerKeyError) {
        guard publicKey.count == 32,
            let key = publicKey.withUnsafeBufferPointer({
                EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32)
            })
        else { throw LedgerKeyError(description: "not an Ed25519 public key") }
        self.key = key
        self.publicKey = publicKey
    }

    deinit { EVP_PKEY_free(key) }

    /// A fresh seed from OpenSSL's random generator.
    static func randomSeed() throws(LedgerKeyError) -> [UInt8] {
        var seed = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&seed, 32) == 1 else { throw LedgerKeyError(description: "no randomness for a new key") }
        return seed
    }

    func sign(_ message: [UInt8]) throws(LedgerKeyError) -> [UInt8] {
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1,
            EVP_DigestSign(context, &signature, &length, message, message.count) == 1, length == 64
        else { throw LedgerKeyError(description: "signing failed") }
        return signature
    }

    func verify(_ signature: [UInt8], _ message: [UInt8]) -> Bool {
        guard signature.count == 64 else { return false }
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        return EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1
            && EVP_DigestVerify(context, signature, 64, message, message.count) == 1
    }
}
