import ArgumentParser
import Blocking
import Foundation
import Ledger

/// `countersign ledger ...`: the cold ledger's tools for operators and auditors.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Keys, verification, proofs and export of the tamper-evident ledger.",
        discussion: """
            A ledger directory holds an RFC 9162 Merkle tree in the C2SP tlog-tiles layout \
            (tile/, tile/entries/), the latest signed checkpoint (C2SP tlog-checkpoint), and \
            the writer's own files (state, index.log, large/). See docs/ledger.md.
            """,
        subcommands: [
            LedgerKeygen.self, LedgerVerify.self, LedgerProve.self, LedgerConsistency.self, LedgerExport.self,
            LedgerAppend.self,
        ]
    )
}

/// Options every reading subcommand shares.
struct LedgerLocation: ParsableArguments {
    @Option(name: .customLong("dir"), help: "The ledger directory.")
    var directory: String

    @Option(help: "The verifier key file (<name>+<id>+<key>, from `ledger keygen`).")
    var key: String

    func verifier() throws -> NoteVerifier {
        guard let text = try? String(contentsOfFile: key, encoding: .utf8) else {
            throw ValidationError("cannot read the verifier key '\(key)'")
        }
        do {
            return try NoteVerifier(verifierKey: text)
        } catch {
            throw ValidationError("\(key): \(error)")
        }
    }

    /// The directory's checkpoint, its signature checked.
    func checkpoint(_ reader: LedgerReader) throws -> (checkpoint: Checkpoint, note: String) {
        do {
            return try reader.checkpoint(verifier: verifier())
        } catch let error as LedgerError {
            throw ValidationError("\(error)")
        }
    }
}

/// Prints a JSON value with sorted keys, one document.
func printJSON(_ value: [String: Any]) throws {
    let data = try JSONSerialization.data(
        withJSONObject: value,
        options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    )
    print(String(decoding: data, as: UTF8.self))
}

struct LedgerKeygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an Ed25519 key pair in the C2SP signed-note formats.",
        discussion: """
            Writes <out>.key (the signer key, mode 0600: keep it secret, point the pipeline's \
            ledger.key_file at it) and <out>.pub (the verifier key: give it to auditors). The \
            name is the log's origin line in every checkpoint, e.g. countersign.example.com/acme.
            """
    )

    @Option(help: "The key name, which is also the log's origin.")
    var name: String

    @Option(help: "Path prefix of the two files written.")
    var out: String

    func run() throws {
        for path in [out + ".key", out + ".pub"] where FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(path) exists; refusing to overwrite a key")
        }
        let keys: (signer: String, verifier: String)
        do {
            keys = try NoteSigner.generate(name: name)
        } catch {
            throw ValidationError("\(error)")
        }
        try OutputFile.replace(out + ".key", with: Array((keys.signer + "\n").utf8), permissions: 0o600, durable: true)
        try OutputFile.replace(out + ".pub", with: Array((keys.verifier + "\n").utf8))
        print("ledger keygen: signer key in \(out).key (secret), verifier key in \(out).pub:")
        print(keys.verifier)
    }
}
