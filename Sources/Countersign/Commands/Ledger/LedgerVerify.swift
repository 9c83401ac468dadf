import ArgumentParser
import Foundation
import Ledger

struct LedgerVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute every tile and the root from the entries; check the checkpoint.",
        discussion: """
            Checks the checkpoint's signature with --key, recomputes every leaf hash from the \
            entry bundles (and each oversized entry from its content-addressed file), every \
            hash tile from the level below, and the root; with --old, proves that an older \
            checkpoint (a file holding its signed note) is consistent with the current one. \
            Exits 1 naming the first file that differs, is missing or is truncated.
            """
    )

    @OptionGroup var location: LedgerLocation

    @Option(help: "A file with an older signed checkpoint to prove consistent with the current one.")
    var old: String?

    func run() throws {
        var oldNote: String?
        if let old {
            guard let text = try? String(contentsOfFile: old, encoding: .utf8) else {
                throw ValidationError("cannot read the older checkpoint '\(old)'")
            }
            oldNote = text
        }
        let reader = LedgerReader(directory: location.directory)
        let started = Date()
        let progress = ProgressLine("ledger verify", counting: .items("entries"))
        do {
            let result = try reader.verify(verifier: try location.verifier(), old: oldNote) { done, total in
                progress.total = total
                progress.update(done)
            }
            progress.clear()
            print(
                "ledger verify: OK: \(result.checkpoint.origin), \(result.entries) entries, root "
                    + "\(result.checkpoint.root.base64); \(result.tiles) tiles and \(result.bundles) bundles "
                    + "recomputed, \(result.largeEntries) oversized entries checked "
                    + "(\(String(format: "%.1f", Date().timeIntervalSince(started))) s)"
            )
            if let older = result.consistentWith {
                print("ledger verify: the checkpoint of size \(older.size) is consistent with this one")
            }
        } catch let error as LedgerError {
            progress.clear()
            FileHandle.standardError.write(Data("ledger verify: FAILED: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
