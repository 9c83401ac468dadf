import Foundation
import Testing

@testable import Ledger

/// What many owners of one log must get right, written once and run on a
/// directory (below) and on radosgw (ObjectStorageTests).
enum LogOwnershipScenarios {
    static let keys = LedgerWriterTests.keys
    static func signer() throws -> NoteSigner { try NoteSigner(signerKey: keys.signer) }
    static func verifier() throws -> NoteVerifier { try NoteVerifier(verifierKey: keys.verifier) }
    static let topic = "mcp.audit"

    static func messages(_ range: Range<Int>, partition: Int32 = 0, tag: String = "") -> [LedgerMessage] {
        range.map {
            LedgerMessage(
                topic: topic,
                partition: partition,
                offset: Int64($0),
                bytes: Array("{\"event_id\":\"e-\(partition)-\($0)\"\(tag)}".utf8),
                eventID: "e-\(partition)-\($0)"
            )
        }
    }

    /// A writer stops; the next owner continues the same log; the first,
    /// still running, is refused and nothing it appends after the claim is
    /// in the log. Its full tile written before the refusal holds what the
    /// new owner writes there too, so the new owner builds on it unharmed.
    static func continuationAndFencing(_ storage: any LedgerStorage) throws {
        let archive = LedgerArchive(storage: storage, origin: LedgerWriterTests.origin)
        let log = LedgerArchive.LogID(topic: topic, partition: 3)
        let first = try archive.writer(for: log, signer: try signer())
        _ = try first.append(messages(0..<300, partition: 3))
        try first.checkpoint()

        let second = try archive.writer(for: log, signer: try signer())
        #expect(second.size == 300)
        #expect(second.epoch == first.epoch + 1)
        // The zombie: a batch that completes tile 1 (leaves 256..511) and one after.
        #expect(throws: LedgerFenced.self) { try first.append(messages(300..<520, partition: 3)) }
        #expect(throws: LedgerFenced.self) { try first.append(messages(520..<530, partition: 3)) }
        #expect(throws: LedgerFenced.self) { try first.checkpoint() }

        _ = try second.append(messages(250..<700, partition: 3))  // 250..<300: a re-delivered tail
        #expect(second.size == 700)
        try second.checkpoint()
        let reader = archive.reader(for: log)
        let report = try reader.verify(verifier: try verifier())
        #expect(report.entries == 700)
        var entries = reader.entries(0..<700, size: 700)
        var index = reader.indexLines(0..<700, size: 700)
        var offsets: [Int64] = []
        while let (leaf, entry) = try entries.next(), let line = try index.next() {
            #expect(entry == messages(Int(leaf)..<Int(leaf) + 1, partition: 3)[0].bytes)
            offsets.append(line.offset)
        }
        #expect(offsets == (0..<700).map(Int64.init))
        // The zombie's epoch never committed anything.
        var seq: UInt64 = 1
        while try storage.exists("logs/\(log)/" + LogObjects.commit(seq)) {
            let record = try LedgerWriter.commit(
                seq,
                PrefixedStorage(storage, prefix: "logs/\(log)"),
                hasher: SHA256Hasher()
            )
            if record.epoch == first.epoch { #expect(record.size <= 300) }
            seq += 1
        }
    }

    /// Two logs, an organisation checkpoint over both; the archive verifies.
    static func organisation(_ storage: any LedgerStorage) throws -> LedgerArchive.OrganisationCheckpoint {
        let archive = LedgerArchive(storage: storage, origin: LedgerWriterTests.origin)
        for partition in Int32(0)..<2 {
            let writer = try archive.writer(
                for: LedgerArchive.LogID(topic: topic, partition: partition),
                signer: try signer()
            )
            _ = try writer.append(messages(0..<(100 + Int(partition) * 200), partition: partition))
            try writer.checkpoint()
        }
        let written = try archive.writeOrganisationCheckpoint(signer: try signer())
        #expect(written.logs.map(\.log.partition) == [0, 1])
        let result = try archive.verify(verifier: try verifier())
        #expect(result.logs.count == 2)
        #expect(result.entries == 400)
        #expect(result.organisation?.seq == written.seq)
        #expect(result.logsNewerThanOrganisation.isEmpty)
        return written
    }
}

@Suite("Ledger logs with many owners (directory)")
struct DirectoryOwnershipTests {
    func storage() throws -> (DirectoryStorage, String) {
        let path = NSTemporaryDirectory() + "countersign-archive-\(UUID().uuidString)"
        return (try DirectoryStorage(root: path), path)
    }

    @Test("the next owner continues the log; the old one is fenced and adds nothing")
    func fencing() throws {
        let (storage, path) = try storage()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try LogOwnershipScenarios.continuationAndFencing(storage)
    }

    @Test("the organisation checkpoint signs every log; a log cut back or removed fails verification")
    func organisation() throws {
        let (storage, path) = try storage()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try LogOwnershipScenarios.organisation(storage)
        let archive = LedgerArchive(storage: storage, origin: LedgerWriterTests.origin)
        // Roll log 1 back to a shorter history: its last commits and checkpoint go.
        let log1 = path + "/logs/mcp.audit/1"
        let commits = try FileManager.default.contentsOfDirectory(atPath: log1 + "/commit").sorted()
        for name in commits.suffix(2) { try FileManager.default.removeItem(atPath: log1 + "/commit/" + name) }
        try FileManager.default.removeItem(atPath: log1 + "/checkpoint")
        let small = try archive.writer(
            for: LedgerArchive.LogID(topic: "mcp.audit", partition: 1),
            signer: try LogOwnershipScenarios.signer()
        )
        #expect(small.size == 0)
        _ = try small.append(LogOwnershipScenarios.messages(0..<10, partition: 1, tag: ",\"x\":1"))
        try small.checkpoint()
        #expect(throws: LedgerError.self) { try archive.verify(verifier: try LogOwnershipScenarios.verifier()) }
        // A log removed outright.
        try FileManager.default.removeItem(atPath: log1)
        do {
            _ = try archive.verify(verifier: try LogOwnershipScenarios.verifier())
            Issue.record("a missing log was not noticed")
        } catch {
            #expect("\(error)".contains("mcp.audit/1"))
        }
    }

    @Test("a name is created once: a second create of it reports it exists and changes nothing")
    func createOnce() throws {
        let (storage, path) = try storage()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try storage.create("a/b", [1, 2, 3]) == .created)
        #expect(try storage.create("a/b", [9]) == .exists)
        #expect(try storage.read("a/b") == [1, 2, 3])
        #expect(try storage.read("a/c") == nil)
        #expect(throws: LedgerError.self) { try storage.createIdempotently([("a/b", [9])]) }
        try storage.createIdempotently([("a/b", [1, 2, 3])])
        for name in ["a/d", "a/c/e", "b"] { _ = try storage.create(name, []) }
        #expect(try storage.list(prefix: "a/", startAfter: nil, limit: 10) == ["a/b", "a/c/e", "a/d"])
        #expect(try storage.list(prefix: "a/", startAfter: "a/b", limit: 1) == ["a/c/e"])
    }
}
