import Foundation
import Testing

@testable import Ledger

/// The writer and reader on a real directory: layout, verification,
/// proofs, re-delivery, oversized entries, and tampering of every kind.
@Suite("Ledger directory")
struct LedgerWriterTests {
    static let origin = "countersign.test/ledger"
    static let keys = try! NoteSigner.generate(name: origin)

    func directory() -> String { NSTemporaryDirectory() + "countersign-ledger-\(UUID().uuidString)" }
    func signer() throws -> NoteSigner { try NoteSigner(signerKey: Self.keys.signer) }
    func verifier() throws -> NoteVerifier { try NoteVerifier(verifierKey: Self.keys.verifier) }

    func messages(_ range: Range<Int>, partition: Int32 = 0) -> [LedgerMessage] {
        range.map {
            LedgerMessage(
                topic: "mcp.audit",
                partition: partition,
                offset: Int64($0),
                bytes: Array("{\"event_id\":\"e-\(partition)-\($0)\",\"n\":\($0)}".utf8),
                eventID: "e-\(partition)-\($0)"
            )
        }
    }

    /// A ledger of `count` entries with a checkpoint.
    func build(_ count: Int, batch: Int = 5_000) throws -> String {
        let path = directory()
        let writer = try LedgerWriter(directory: path, origin: Self.origin, signer: try signer())
        for start in stride(from: 0, to: count, by: batch) {
            _ = try writer.append(messages(start..<min(count, start + batch)))
        }
        try writer.checkpoint()
        return path
    }

    func files(_ path: String) -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).filter {
            var directory: ObjCBool = false
            FileManager.default.fileExists(atPath: path + "/" + $0, isDirectory: &directory)
            return !directory.boolValue
        }
    }

    @Test("70,000 leaves: the tiles SPECS.md lists, and verify passes")
    func layout() throws {
        let path = try build(70_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let all = files(path)
        #expect(all.filter { $0.hasPrefix("tile/0/") && !$0.contains(".p/") }.count == 273)
        #expect(all.contains("tile/0/273.p/112"))
        #expect(all.filter { $0.hasPrefix("tile/1/") && !$0.contains(".p/") } == ["tile/1/000"])
        #expect(all.contains("tile/1/001.p/17"))
        #expect(all.contains("tile/2/000.p/1"))
        #expect(all.filter { $0.hasPrefix("tile/entries/") && !$0.contains(".p/") }.count == 273)
        #expect(all.contains("tile/entries/273.p/112"))
        // Full tiles are read-only.
        let attributes = try FileManager.default.attributesOfItem(atPath: path + "/tile/0/000")
        #expect((attributes[.posixPermissions] as? Int) == 0o444)
        let report = try LedgerReader(directory: path).verify(verifier: try verifier())
        #expect(report.checkpoint.size == 70_000)
        #expect(report.bundles == 274)
    }

    @Test("reading a range reads each bundle once and gives what entry-by-entry reading gives")
    func sequentialRange() throws {
        let path = try build(1_000)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = LedgerReader(directory: path)
        // Across bundle edges, inside one bundle, the partial last bundle, empty.
        for range: Range<UInt64> in [0..<1_000, 250..<700, 300..<301, 768..<1_000, 5..<5] {
            var entries = reader.entries(range, size: 1_000)
            var got: [(UInt64, [UInt8])] = []
            while let (index, entry) = try entries.next() { got.append((index, entry)) }
            #expect(got.map(\.0) == Array(range))
            for (index, entry) in got { #expect(try entry == reader.storedEntry(index, size: 1_000)) }
        }
        // An older, smaller tree reads a prefix of a partial bundle.
        var older = reader.entries(250..<300, size: 300)
        var count = 0
        while let (index, entry) = try older.next() {
            #expect(entry == (try reader.storedEntry(index, size: 300)))
            count += 1
        }
        #expect(count == 50)
        var beyond = reader.entries(999..<1_001, size: 1_000)
        _ = try beyond.next()
        #expect(throws: LedgerError.self) { try beyond.next() }
    }

    @Test("inclusion and consistency proofs from the tiles verify against the checkpoints")
    func proofs() throws {
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try LedgerWriter(directory: path, origin: Self.origin, signer: try signer())
        _ = try writer.append(messages(0..<1_000))
        let old = try writer.checkpoint()
        _ = try writer.append(messages(1_000..<70_001))
        let new = try writer.checkpoint()
        let reader = LedgerReader(directory: path)
        let hasher = SHA256Hasher()
        for index in [UInt64(0), 1, 255, 256, 999, 65_535, 65_536, 70_000] {
            let proof = try reader.inclusionProof(index: index, size: new.size)
            let leaf = hasher.leafHash(try reader.storedEntry(index, size: new.size))
            try MerkleProofs.verifyInclusion(
                index: index,
                size: new.size,
                leafHash: leaf,
                proof: proof,
                root: new.root,
                hasher: hasher
            )
        }
        let proof = try reader.consistencyProof(old: old.size, new: new.size, within: new.size)
        try MerkleProofs.verifyConsistency(
            old: old.size,
            new: new.size,
            oldRoot: old.root,
            newRoot: new.root,
            proof: proof,
            hasher: hasher
        )
        #expect(try reader.root(size: 1_000, within: new.size) == old.root)
        #expect(try reader.leaves(eventID: "e-0-65536", size: new.size) == [65_536])
    }

    @Test("partial tiles a full tile supersedes stay; the old size still reads")
    func supersededPartials() throws {
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try LedgerWriter(directory: path, origin: Self.origin, signer: try signer())
        _ = try writer.append(messages(0..<300))
        let old = try writer.checkpoint()
        #expect(FileManager.default.fileExists(atPath: path + "/tile/0/001.p/44"))
        #expect(FileManager.default.fileExists(atPath: path + "/tile/entries/001.p/44"))
        _ = try writer.append(messages(300..<600))
        // Never deleted: a WORM bucket could not, and readers of the old size use them.
        #expect(FileManager.default.fileExists(atPath: path + "/tile/0/001.p/44"))
        #expect(FileManager.default.fileExists(atPath: path + "/tile/entries/001.p/44"))
        let reader = LedgerReader(directory: path)
        #expect(try reader.root(size: 300) == old.root)
        #expect(try reader.storedEntry(299, size: 300) == messages(299..<300)[0].bytes)
        try writer.checkpoint()
        _ = try LedgerReader(directory: path).verify(verifier: try verifier())
    }

    @Test("a re-delivered tail is skipped; a reopened writer continues where the state says")
    func redelivery() throws {
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var writer = try LedgerWriter(directory: path, origin: Self.origin, signer: try signer())
        _ = try writer.append(messages(0..<300) + messages(0..<10, partition: 1))
        writer = try LedgerWriter(directory: path, origin: Self.origin, signer: try signer())
        #expect(writer.size == 310)
        let indexes = try writer.append(messages(250..<400) + messages(5..<20, partition: 1))
        #expect(writer.size == 420)
        #expect(indexes[0] == nil)  // appended by the earlier writer; the log's index has it
        #expect(indexes[50] == 310)
        #expect(indexes[150] == nil)
        #expect(indexes[155] == 410)
        // Re-delivered again to the same writer: the indexes it gave are known.
        #expect(try writer.append(messages(390..<400)) == (400..<410).map { UInt64($0) })
        #expect(writer.size == 420)
        try writer.checkpoint()
        let report = try LedgerReader(directory: path).verify(verifier: try verifier())
        #expect(report.entries == 420)
    }

    @Test("entries over 65,535 bytes, and pointer look-alikes, are stored by content address")
    func largeEntries() throws {
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try LedgerWriter(directory: path, origin: Self.origin, signer: try signer())
        let big = [UInt8](repeating: 0x41, count: 200_000)
        let lookalike = LedgerEntry.pointerPrefix + Array("not really".utf8)
        var batch = messages(0..<3)
        batch[1].bytes = big
        batch[2].bytes = lookalike
        _ = try writer.append(batch)
        try writer.checkpoint()
        let reader = LedgerReader(directory: path)
        #expect(try reader.message(from: try reader.storedEntry(1, size: 3)) == big)
        #expect(try reader.message(from: try reader.storedEntry(2, size: 3)) == lookalike)
        let report = try reader.verify(verifier: try verifier())
        #expect(report.largeEntries == 2)
        let large = files(path).filter { $0.hasPrefix("large/") }
        #expect(large.count == 2)
        // A changed byte in the content is caught.
        let file = path + "/" + large[0]
        chmod(file, 0o644)
        var data = try Data(contentsOf: URL(fileURLWithPath: file))
        data[10] ^= 1
        try data.write(to: URL(fileURLWithPath: file))
        #expect(throws: LedgerError.self) { try LedgerReader(directory: path).verify(verifier: try verifier()) }
    }
}
