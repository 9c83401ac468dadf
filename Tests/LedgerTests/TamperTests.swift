import Foundation
import Testing

@testable import Ledger

/// One changed byte, a deleted file or a truncated one anywhere in the
/// tiles, bundles or checkpoint makes `verify` fail and name the file.
@Suite("Ledger tampering")
struct TamperTests {
    static let targets = [
        "tile/0/000", "tile/0/136", "tile/0/272", "tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17",
        "tile/2/000.p/1", "tile/entries/000", "tile/entries/200", "tile/entries/273.p/112",
        LogObjects.checkpoint(70_000),
    ]

    enum Damage: String, CaseIterable {
        case flip, delete, truncate
    }

    @Test("each damage to each kind of file is found and named", arguments: Damage.allCases)
    func damage(_ damage: Damage) throws {
        let ledger = LedgerWriterTests()
        let path = try ledger.build(70_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let verifier = try ledger.verifier()
        _ = try LedgerReader(directory: path).verify(verifier: verifier)
        var generator = SystemRandomNumberGenerator()
        for target in Self.targets {
            let file = path + "/" + target
            let original = try Data(contentsOf: URL(fileURLWithPath: file))
            chmod(file, 0o644)
            switch damage {
            case .flip:
                var changed = original
                let position = Int.random(in: 0..<changed.count, using: &generator)
                changed[position] ^= UInt8.random(in: 1...255, using: &generator)
                try changed.write(to: URL(fileURLWithPath: file))
            case .delete:
                try FileManager.default.removeItem(atPath: file)
            case .truncate:
                try original.prefix(original.count - 1 - Int.random(in: 0..<min(40, original.count - 1))).write(
                    to: URL(fileURLWithPath: file)
                )
            }
            do {
                _ = try LedgerReader(directory: path).verify(verifier: verifier)
                Issue.record("\(damage) of \(target) was not noticed")
            } catch {
                #expect(error.description.contains(target), "\(damage) of \(target): \(error)")
            }
            try original.write(to: URL(fileURLWithPath: file))
        }
        _ = try LedgerReader(directory: path).verify(verifier: verifier)
    }

    @Test("an older checkpoint: consistent ones pass, one of a different history fails")
    func olderCheckpoint() throws {
        let ledger = LedgerWriterTests()
        let path = ledger.directory()
        let forkPath = ledger.directory()
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: forkPath)
        }
        let writer = try LedgerWriter(directory: path, origin: LedgerWriterTests.origin, signer: try ledger.signer())
        _ = try writer.append(ledger.messages(0..<700))
        try writer.checkpoint()
        let old = try String(contentsOfFile: path + "/" + LogObjects.checkpoint(700), encoding: .utf8)
        _ = try writer.append(ledger.messages(700..<2_000))
        try writer.checkpoint()
        let report = try LedgerReader(directory: path).verify(verifier: try ledger.verifier(), old: old)
        #expect(report.consistentWith?.size == 700)

        // The same key signing another history of 700 entries.
        let fork = try LedgerWriter(directory: forkPath, origin: LedgerWriterTests.origin, signer: try ledger.signer())
        _ = try fork.append(ledger.messages(1..<701))
        try fork.checkpoint()
        let forked = try String(contentsOfFile: forkPath + "/" + LogObjects.checkpoint(700), encoding: .utf8)
        #expect(throws: LedgerError.self) {
            try LedgerReader(directory: path).verify(verifier: try ledger.verifier(), old: forked)
        }
    }
}
