import Foundation
import Ledger

/// Replays what the cold ledger holds, for ranges Kafka no longer keeps.
///
/// Log by log (one per source partition), entries in leaf order, which is
/// the partition's offset order; the log's index says which offset each
/// came from. While reading, every entry's leaf hash goes into an RFC 9162
/// tree computed on the fly; at the end of each log its root must equal
/// the log's signed checkpoint, so the replayed bytes are exactly the ones
/// the checkpoints commit to. Until then no alert is written.
struct LedgerReplaySource {
    let archive: LedgerArchive
    let verifier: NoteVerifier

    struct Verified {
        var logs: [Checkpoint]
        var summary: String {
            "\(logs.count) logs, \(logs.reduce(0) { $0 + $1.size }) entries, each log's root equal to its signed checkpoint"
        }
    }

    func replay(into replayer: Replayer, progress: ProgressLine?) async throws -> Verified {
        var verified = Verified(logs: [])
        let logs: [LedgerArchive.LogID]
        do {
            logs = try archive.logs().filter { replayer.wants(topic: $0.topic, partition: $0.partition) }
        } catch {
            throw ReplayError.ledgerNotVerified("the ledger's logs cannot be listed: \(error)")
        }
        var checkpoints: [(LedgerArchive.LogID, LedgerReader, Checkpoint)] = []
        for log in logs {
            let reader = archive.reader(for: log)
            do {
                guard try reader.latestCheckpointSize() > 0 else { continue }
                checkpoints.append((log, reader, try reader.checkpoint(verifier: verifier).checkpoint))
            } catch {
                throw ReplayError.ledgerNotVerified("log \(log): the checkpoint does not verify: \(error)")
            }
        }
        progress?.total = checkpoints.reduce(0) { $0 + $1.2.size }
        var done: UInt64 = 0
        for (log, reader, checkpoint) in checkpoints {
            var index = reader.indexLines(0..<checkpoint.size, size: checkpoint.size)
            var entries = reader.entries(0..<checkpoint.size, size: checkpoint.size)
            let hasher = SHA256Hasher()
            var tree = StreamingTreeHash(hasher: hasher)
            while true {
                let next: (index: UInt64, entry: [UInt8])?
                let line: LedgerReader.IndexLine?
                let message: [UInt8]?
                do {
                    next = try entries.next()
                    line = next == nil ? nil : try index.next()
                    message = try next.map { try reader.message(from: $0.entry) }
                } catch {
                    throw ReplayError.ledgerNotVerified("log \(log): \(error)")
                }
                guard let (leaf, entry) = next, let line, let message else { break }
                guard line.leaf == leaf, line.topic == log.topic, line.partition == log.partition else {
                    throw ReplayError.ledgerNotVerified(
                        "log \(log): the index does not name leaf \(leaf) where expected"
                    )
                }
                done += 1
                progress?.update(done)
                tree.append(hasher.leafHash(entry))
                try await replayer.add(topic: log.topic, partition: log.partition, offset: line.offset, bytes: message)
            }
            guard tree.root == checkpoint.root else {
                throw ReplayError.ledgerNotVerified(
                    "log \(log): the entries read hash to root \(tree.root.hex), its signed checkpoint (size \(checkpoint.size)) says \(checkpoint.root.hex): the ledger was altered (`countersign ledger verify` names the damaged file); no alert is reported"
                )
            }
            verified.logs.append(checkpoint)
        }
        try await replayer.flush()
        return verified
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
