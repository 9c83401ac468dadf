import Testing

@testable import Ledger

@Suite("Signed notes and checkpoints (C2SP)")
struct SignedNoteTests {
    static let exampleKey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    static let exampleNote =
        "This is an example message.\n\n\u{2014} example.com/foo "
        + "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
    static let signerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let verifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let text =
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let signed =
        text + "\n\u{2014} PeterNeumann "
        + "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

    @Test("the C2SP example key verifies the example note")
    func example() throws {
        let verifier = try NoteVerifier(verifierKey: Self.exampleKey)
        #expect(try verifier.verify(Self.exampleNote) == "This is an example message.\n")
        var tampered = Array(Self.exampleNote.utf8)
        tampered[3] ^= 0x20
        #expect(throws: LedgerKeyError.self) { try verifier.verify(String(decoding: tampered, as: UTF8.self)) }
    }

    @Test("the deterministic signing vector signs byte for byte; keys round-trip")
    func signingVector() throws {
        let signer = try NoteSigner(signerKey: Self.signerKey)
        #expect(signer.keyID == 0xc74f_20a3)
        #expect(try signer.sign(Self.text) == Self.signed)
        #expect(signer.verifier.verifierKey == Self.verifierKey)
        #expect(try NoteVerifier(verifierKey: Self.verifierKey).verify(Self.signed) == Self.text)
    }

    @Test("mangled keys are refused; a note signed by another key does not verify")
    func refusals() throws {
        #expect(throws: LedgerKeyError.self) {
            try NoteSigner(signerKey: "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
        }
        #expect(throws: LedgerKeyError.self) {
            try NoteVerifier(verifierKey: "PeterNeumann+c74f20a3+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        }
        #expect(throws: LedgerKeyError.self) {
            try NoteVerifier(verifierKey: "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        }
        let (signer, verifier) = try NoteSigner.generate(name: "PeterNeumann")
        let other = try NoteVerifier(verifierKey: verifier)
        #expect(throws: LedgerKeyError.self) { try other.verify(Self.signed) }
        let note = try NoteSigner(signerKey: signer).sign("hello\n")
        #expect(try other.verify(note) == "hello\n")
    }

    @Test("checkpoint bodies: origin, size, base64 root, extensions")
    func checkpoints() throws {
        let root = SHA256Hasher.emptyRoot
        let checkpoint = Checkpoint(origin: "countersign.example/ledger", size: 70_000, root: root, extensions: ["x"])
        #expect(
            checkpoint.text == "countersign.example/ledger\n70000\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nx\n"
        )
        #expect(try Checkpoint(text: checkpoint.text) == checkpoint)
        #expect(throws: LedgerKeyError.self) {
            try Checkpoint(text: "o\n070000\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
        }
    }
}
