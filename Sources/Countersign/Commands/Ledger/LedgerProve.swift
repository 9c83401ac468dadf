import ArgumentParser
import Foundation
import Ledger

struct LedgerProve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "An inclusion proof of one entry against the latest checkpoint, as JSON.",
        discussion: """
            Output fields: log_origin, tree_size and root_hash (base64) from the checkpoint; \
            leaf_index; leaf_hash = base64 SHA-256(0x00 || entry); entry_sha256 = hex SHA-256 of \
            the message bytes as consumed; event_id (from the local index, when known); \
            inclusion_proof = the RFC 9162 audit path, base64 hashes from the leaf's sibling up; \
            checkpoint = the signed note. The proof is checked before it is printed. An event \
            found in PostgreSQL carries its leaf index in events.ledger_index.
            """
    )

    @OptionGroup var location: LedgerLocation

    @Option(help: "The event_id to prove (looked up in the ledger's index).")
    var eventID: String?

    @Option(help: "The leaf index to prove (in the log --log names).")
    var index: UInt64?

    func validate() throws {
        guard (eventID == nil) != (index == nil) else { throw ValidationError("give --event-id or --index") }
    }

    /// The log and leaf of an event id: in --log's index, or in every log's.
    func find(_ eventID: String) throws -> (reader: LedgerReader, leaf: UInt64) {
        let archive = try location.archive()
        let logs = try location.selectedLog().map { [$0] } ?? archive.logs()
        for log in logs {
            let reader = archive.reader(for: log)
            let size = try reader.latestCheckpointSize()
            if let leaf = try reader.leaves(eventID: eventID, size: size).first { return (reader, leaf) }
        }
        throw ValidationError("event_id \(eventID) is in no log's index up to its checkpoint")
    }

    func run() throws {
        var reader: LedgerReader
        var leaf = index
        if let eventID {
            (reader, leaf) = try find(eventID)
        } else {
            reader = try location.reader()
        }
        let (checkpoint, note) = try location.checkpoint(reader)
        guard let leaf, leaf < checkpoint.size else {
            throw ValidationError("index \(index ?? 0) is not below the checkpoint's size \(checkpoint.size)")
        }
        let hasher = SHA256Hasher()
        let entry = try reader.storedEntry(leaf, size: checkpoint.size)
        let message = try reader.message(from: entry)
        let leafHash = hasher.leafHash(entry)
        let proof = try reader.inclusionProof(index: leaf, size: checkpoint.size)
        try MerkleProofs.verifyInclusion(
            index: leaf,
            size: checkpoint.size,
            leafHash: leafHash,
            proof: proof,
            root: checkpoint.root,
            hasher: hasher
        )
        var output: [String: Any] = [
            "log_origin": checkpoint.origin,
            "tree_size": checkpoint.size,
            "root_hash": checkpoint.root.base64,
            "leaf_index": leaf,
            "leaf_hash": leafHash.base64,
            "entry_sha256": hasher.sha256(message).hex,
            "inclusion_proof": proof.map(\.base64),
            "checkpoint": note,
        ]
        if let eventID { output["event_id"] = eventID }
        try printJSON(output)
    }
}

struct LedgerConsistency: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency",
        abstract: "A consistency proof between two tree sizes, as JSON.",
        discussion: """
            Both sizes must be at most the latest checkpoint's. Output: old_size, new_size, \
            old_root and new_root (base64, computed from the tiles), consistency_proof (RFC 9162 \
            section 2.1.4, base64), and the checkpoint note. Checked before it is printed.
            """
    )

    @OptionGroup var location: LedgerLocation

    @Option(help: "The older tree size.")
    var old: UInt64

    @Option(help: "The newer tree size (default: the checkpoint's).")
    var new: UInt64?

    func run() throws {
        let reader = try location.reader()
        let (checkpoint, note) = try location.checkpoint(reader)
        let new = self.new ?? checkpoint.size
        guard 0 < old, old <= new, new <= checkpoint.size else {
            throw ValidationError("need 0 < --old <= --new <= \(checkpoint.size) (the checkpoint's size)")
        }
        let hasher = SHA256Hasher()
        let oldRoot = try reader.root(size: old, within: checkpoint.size)
        let newRoot = try reader.root(size: new, within: checkpoint.size)
        let proof = try reader.consistencyProof(old: old, new: new, within: checkpoint.size)
        try MerkleProofs.verifyConsistency(
            old: old,
            new: new,
            oldRoot: oldRoot,
            newRoot: newRoot,
            proof: proof,
            hasher: hasher
        )
        try printJSON([
            "old_size": old, "new_size": new, "old_root": oldRoot.base64, "new_root": newRoot.base64,
            "consistency_proof": proof.map(\.base64), "checkpoint": note,
        ])
    }
}
