import COpenSSL

/// MD5, only for S3's Content-MD5 header, which some bucket requests
/// (PutObjectLockConfiguration) require as a transfer check. Nothing here
/// relies on MD5 for integrity: the ledger's own hashes are SHA-256.
enum Insecure {
    static func md5(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        _ = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_md5(), nil)
        }
        return digest
    }
}
