import Foundation

/// C2SP signed-note keys and notes, Ed25519 only (algorithm byte 0x01).
///
/// - signer key: `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`
/// - verifier key: `<name>+<hex key id>+<base64(0x01 || public key)>`
/// - key id: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key)
/// - note: text (ending in `\n`), a blank line, then per signature
///   `— <name> <base64(key id || signature)>\n` (the dash is U+2014).
public struct NoteSigner {
    public let name: String
    public let keyID: UInt32
    let key: Ed25519Key

    public init(signerKey text: String) throws(LedgerKeyError) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY" else {
            throw LedgerKeyError(description: "not a signer key (PRIVATE+KEY+name+id+key)")
        }
        let (name, id, bytes) = try NoteVerifier.fields(parts[2], parts[3], parts[4])
        key = try Ed25519Key(seed: bytes)
        guard NoteVerifier.keyID(name: name, publicKey: key.publicKey) == id else {
            throw LedgerKeyError(description: "the signer key's id does not match its key")
        }
        self.name = name
        keyID = id
    }

    /// A new key pair for `name`: (signer key text, verifier key text).
    public static func generate(name: String) throws(LedgerKeyError) -> (signer: String, verifier: String) {
        try NoteVerifier.checkName(name)
        let seed = try Ed25519Key.randomSeed()
        let key = try Ed25519Key(seed: seed)
        let id = NoteVerifier.keyID(name: name, publicKey: key.publicKey)
        let hexID = String(id, radix: 16).leftPadded(to: 8)
        return (
            "PRIVATE+KEY+\(name)+\(hexID)+" + Data([1] + seed).base64EncodedString(),
            "\(name)+\(hexID)+" + Data([1] + key.publicKey).base64EncodedString()
        )
    }

    public var verifier: NoteVerifier {
        NoteVerifier(name: name, keyID: keyID, key: try! Ed25519Key(publicKey: key.publicKey))
    }

    /// Signs `text` (which must end with a newline) into a note.
    public func sign(_ text: String) throws(LedgerKeyError) -> String {
        guard text.hasSuffix("\n") else { throw LedgerKeyError(description: "a note's text ends with a newline") }
        let signature = try key.sign(Array(text.utf8))
        var blob = withUnsafeBytes(of: keyID.bigEndian) { Array($0) }
        blob += signature
        return text + "\n\u{2014} \(name) " + Data(blob).base64EncodedString() + "\n"
    }
}

public struct NoteVerifier {
    public let name: String
    public let keyID: UInt32
    let key: Ed25519Key

    init(name: String, keyID: UInt32, key: Ed25519Key) {
        self.name = name
        self.keyID = keyID
        self.key = key
    }

    public init(verifierKey text: String) throws(LedgerKeyError) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw LedgerKeyError(description: "not a verifier key (name+id+key)") }
        let (name, id, bytes) = try Self.fields(parts[0], parts[1], parts[2])
        key = try Ed25519Key(publicKey: bytes)
        guard Self.keyID(name: name, publicKey: bytes) == id else {
            throw LedgerKeyError(description: "the verifier key's id does not match its key")
        }
        self.name = name
        keyID = id
    }

    public var verifierKey: String {
        "\(name)+\(String(keyID, radix: 16).leftPadded(to: 8))+" + Data([1] + key.publicKey).base64EncodedString()
    }

    /// The text of `note` if a signature line of this key verifies it.
    public func verify(_ note: String) throws(LedgerKeyError) -> String {
        let bytes = Array(note.utf8)
        // The text ends at the last "\n\n"; signature lines follow.
        var split: Int?
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == 0x0A && bytes[index + 1] == 0x0A {
                split = index
                break
            }
            index -= 1
        }
        guard let split, note.hasSuffix("\n") else { throw LedgerKeyError(description: "not a signed note") }
        let text = Array(bytes[...split])
        let lines = String(decoding: bytes[(split + 2)...], as: UTF8.self).split(separator: "\n")
        guard !lines.isEmpty else { throw LedgerKeyError(description: "the note has no signature") }
        for line in lines {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == "\u{2014}" else {
                throw LedgerKeyError(description: "a malformed signature line")
            }
            guard fields[1] == name, let blob = Data(base64Encoded: String(fields[2])), blob.count == 68 else {
                continue
            }
            let id = blob.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard id == keyID else { continue }
            if key.verify(Array(blob.dropFirst(4)), text) { return String(decoding: text, as: UTF8.self) }
            throw LedgerKeyError(description: "the signature of \(name) does not verify")
        }
        throw LedgerKeyError(description: "no signature by \(name)+\(String(keyID, radix: 16).leftPadded(to: 8))")
    }

    static func checkName(_ name: some StringProtocol) throws(LedgerKeyError) {
        guard !name.isEmpty, !name.contains("+"),
            name.unicodeScalars.allSatisfy({ !$0.properties.isWhitespace && $0.value >= 0x21 && $0.value != 0x7F })
        else { throw LedgerKeyError(description: "a key name is non-empty, without spaces or '+'") }
    }

    static func fields(
        _ name: Substring,
        _ id: Substring,
        _ key: Substring
    ) throws(LedgerKeyError) -> (String, UInt32, [UInt8]) {
        try checkName(name)
        guard id.count == 8, let keyID = UInt32(id, radix: 16) else {
            throw LedgerKeyError(description: "a key id is 8 hex digits")
        }
        guard let data = Data(base64Encoded: String(key)), data.count == 33, data.first == 1 else {
            throw LedgerKeyError(description: "the key is not an Ed25519 key (algorithm 1, 32 bytes)")
        }
        return (String(name), keyID, Array(data.dropFirst()))
    }

    static func keyID(name: String, publicKey: [UInt8]) -> UInt32 {
        let digest = SHA256Hasher().sha256(Array(name.utf8) + [0x0A, 0x01] + publicKey).bytes
        return digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}
