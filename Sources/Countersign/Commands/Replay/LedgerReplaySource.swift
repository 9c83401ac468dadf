import Foundation
import Ledger

/// Replays what the cold ledger holds, for ranges Kafka no longer keeps.
///
/// Entries are read in leaf order, which is each source partition's offset
/// order; the local index (`index.log`: leaf, topic, partition, offset)
/// says where each came from. While reading, every entry's leaf hash goes
/// into an RFC 9162 tree computed on the fly; at the end its root must
/// equal the signed checkpoint's, so the replayed bytes are exactly the
/// ones the checkpoint commits to. Until then no alert is written.
struct LedgerReplaySource {
    let directory: String
    let verifier: NoteVerifier

    struct Verified {
        var checkpoint: Checkpoint
        var note: String
    }

    func replay(into replayer: Replayer, progress: ProgressLine?) async throws -> Verified {
        let reader = LedgerReader(directory: directory)
        let checkpoint: Checkpoint
        let note: String
        do {
            (checkpoint, note) = try reader.checkpoint(verifier: verifier)
        } catch {
            throw ReplayError.ledgerNotVerified("the ledger's checkpoint does not verify: \(error)")
        }
        progress?.total = checkpoint.size
        var index = try LineReader(path: directory + "/index.log")
        var entries = reader.entries(0..<checkpoint.size, size: checkpoint.size)
        let hasher = SHA256Hasher()
        var tree = StreamingTreeHash(hasher: hasher)
        var done: UInt64 = 0
        while true {
            let next: (index: UInt64, entry: [UInt8])?
            do {
                next = try entries.next()
            } catch {
                throw ReplayError.ledgerNotVerified("the ledger's entries cannot be read: \(error)")
            }
            guard let (leaf, entry) = next else { break }
            done += 1
            progress?.update(done)
            tree.append(hasher.leafHash(entry))
            guard let line = try index.next() else {
                throw ReplayError.ledgerNotVerified("index.log ends before leaf \(leaf)")
            }
            let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
            guard fields.count >= 4, UInt64(String(decoding: fields[0], as: UTF8.self)) == leaf,
                let partition = Int32(String(decoding: fields[2], as: UTF8.self)),
                let offset = Int64(String(decoding: fields[3], as: UTF8.self))
            else {
                throw ReplayError.ledgerNotVerified("index.log does not name leaf \(leaf) where expected")
            }
            let topic = String(decoding: fields[1], as: UTF8.self)
            guard replayer.wants(topic: topic, partition: partition) else { continue }
            let message: [UInt8]
            do {
                message = try reader.message(from: entry)
            } catch {
                throw ReplayError.ledgerNotVerified("leaf \(leaf): \(error)")
            }
            try await replayer.add(topic: topic, partition: partition, offset: offset, bytes: message)
        }
        try await replayer.flush()
        let root = tree.root
        guard root == checkpoint.root else {
            throw ReplayError.ledgerNotVerified(
                "the entries read hash to root \(root.hex), the signed checkpoint (size \(checkpoint.size)) says \(checkpoint.root.hex): the ledger was altered (`countersign ledger verify` names the damaged file); no alert is reported"
            )
        }
        return Verified(checkpoint: checkpoint, note: note)
    }
}

/// The RFC 9162 tree hash of leaves given one at a time, in O(log n)
/// memory: a stack of complete subtrees, merged as they pair up, folded
/// right to left at the end.
struct StreamingTreeHash {
    let hasher: SHA256Hasher
    private var stack: [(hash: Hash, size: UInt64)] = []

    init(hasher: SHA256Hasher) { self.hasher = hasher }

    mutating func append(_ leaf: Hash) {
        stack.append((leaf, 1))
        while stack.count >= 2, stack[stack.count - 1].size == stack[stack.count - 2].size {
            let right = stack.removeLast()
            let left = stack.removeLast()
            stack.append((hasher.nodeHash(left.hash, right.hash), left.size * 2))
        }
    }

    var root: Hash {
        guard var hash = stack.last?.hash else { return SHA256Hasher.emptyRoot }
        for subtree in stack.dropLast().reversed() { hash = hasher.nodeHash(subtree.hash, hash) }
        return hash
    }
}
