import ArgumentParser
import Foundation
import Ledger

struct LedgerVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute every log's tiles and root from its entries; check the checkpoints.",
        discussion: """
            Checks the checkpoint's signature with --key, recomputes every leaf hash from the \
            entry bundles (and each oversized entry from its content-addressed file), every \
            hash tile from the level below, and the root; with --old, proves that an older \
            checkpoint (a file holding its signed note) is consistent with the current one. \
            Without --log, verifies every log of the archive, then the latest organisation \
            checkpoint: every log it names must be present and an extension of the checkpoint \
            it signed (a consistency proof), so a log that went missing or shrank fails. \
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
        let started = Date()
        let progress = ProgressLine("ledger verify", counting: .items("entries"))
        let seconds = { String(format: "%.1f", Date().timeIntervalSince(started)) }
        do {
            let verifier = try location.verifier()
            if let log = try location.selectedLog() {
                let reader = try location.archive().reader(for: log)
                let result = try reader.verify(verifier: verifier, old: oldNote) { done, total in
                    progress.total = total
                    progress.update(done)
                }
                progress.clear()
                print(
                    "ledger verify: OK: \(result.checkpoint.origin), \(result.entries) entries, root "
                        + "\(result.checkpoint.root.base64); \(result.tiles) tiles and \(result.bundles) bundles "
                        + "recomputed, \(result.largeEntries) oversized entries checked (\(seconds()) s)"
                )
                if let older = result.consistentWith {
                    print("ledger verify: the checkpoint of size \(older.size) is consistent with this one")
                }
                return
            }
            guard oldNote == nil else { throw ValidationError("--old needs --log: an older checkpoint is one log's") }
            let result = try location.archive().verify(verifier: verifier) { log, done, total in
                progress.total = total
                progress.update(done)
            }
            progress.clear()
            for (log, report) in result.logs {
                print(
                    "ledger verify: OK: log \(log): \(report.entries) entries, root \(report.checkpoint.root.base64), "
                        + "\(report.tiles) tiles and \(report.bundles) bundles recomputed"
                )
            }
            for log in result.logsWithoutCheckpoint { print("ledger verify: log \(log): no checkpoint yet") }
            if let organisation = result.organisation {
                print(
                    "ledger verify: OK: organisation checkpoint \(organisation.seq) signs \(organisation.logs.count) logs; "
                        + "every one is present and consistent with it"
                )
                for log in result.logsNewerThanOrganisation {
                    print("ledger verify: log \(log) began after organisation checkpoint \(organisation.seq)")
                }
            } else {
                print("ledger verify: no organisation checkpoint yet")
            }
            print(
                "ledger verify: OK: \(result.logs.count) logs, \(result.entries) entries in \(location.location) "
                    + "(\(seconds()) s)"
            )
        } catch let error as LedgerError {
            progress.clear()
            FileHandle.standardError.write(Data("ledger verify: FAILED: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
