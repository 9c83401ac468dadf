/// What `ledger verify` established.
public struct LedgerVerification: Sendable {
    public var checkpoint: Checkpoint
    public var entries: UInt64
    public var tiles: Int
    public var bundles: Int
    public var largeEntries: Int
    public var consistentWith: Checkpoint?
}

extension LedgerReader {
    /// Checks the checkpoint's signature, recomputes every leaf from the
    /// entry bundles and every tile hash from the level below, compares
    /// each tile file with the recomputation, then the root with the
    /// checkpoint's; with `old`, proves the two checkpoints consistent.
    /// The first difference found is thrown, naming the file.
    public func verify(
        verifier: NoteVerifier,
        old oldNote: String? = nil,
        progress: (UInt64, UInt64) -> Void = { _, _ in }
    ) throws(LedgerError) -> LedgerVerification {
        let (checkpoint, _) = try self.checkpoint(verifier: verifier)
        let size = checkpoint.size
        var result = LedgerVerification(
            checkpoint: checkpoint,
            entries: size,
            tiles: 0,
            bundles: 0,
            largeEntries: 0,
            consistentWith: nil
        )
        // Level 0 from the bundles; each level above from the one below.
        var nodes: [Hash] = []  // nodes at height 8*level, recomputed
        var bundleIndex: UInt64 = 0
        while bundleIndex * 256 < size {
            let entries = try bundle(bundleIndex, size: size)
            // The index says where each leaf came from (replay, prove --event-id): it must be whole.
            _ = try indexBundle(bundleIndex, size: size)
            result.bundles += 1
            var leaves: [Hash] = []
            leaves.reserveCapacity(entries.count)
            for (position, entry) in entries.enumerated() {
                if LedgerEntry.parsePointer(entry) != nil {
                    do {
                        _ = try message(from: entry)
                    } catch {
                        throw LedgerError("\(error) (entry \(bundleIndex * 256 + UInt64(position)))")
                    }
                    result.largeEntries += 1
                }
                leaves.append(hasher.leafHash(entry))
            }
            try compare(level: 0, index: bundleIndex, recomputed: leaves, size: size, from: "entries")
            result.tiles += 1
            if leaves.count == 256 { nodes.append(LedgerWriter.perfectRoot(leaves[...], hasher: hasher)) }
            bundleIndex += 1
            if bundleIndex % 64 == 0 { progress(bundleIndex * 256, size) }
        }
        var level = 1
        while size >> UInt64(8 * level) > 0 {
            var above: [Hash] = []
            var tileIndex: UInt64 = 0
            while Int(tileIndex) * 256 < nodes.count {
                let row = Array(nodes[(Int(tileIndex) * 256)..<min(nodes.count, Int(tileIndex) * 256 + 256)])
                try compare(
                    level: level,
                    index: tileIndex,
                    recomputed: row,
                    size: size,
                    from: "tiles of level \(level - 1)"
                )
                result.tiles += 1
                if row.count == 256 { above.append(LedgerWriter.perfectRoot(row[...], hasher: hasher)) }
                tileIndex += 1
            }
            nodes = above
            level += 1
        }
        progress(size, size)
        let root: Hash
        do {
            root = try self.root(size: size)
        } catch {
            throw LedgerError("\(error)")
        }
        guard root == checkpoint.root else {
            throw LedgerError(
                "checkpoint: its root \(checkpoint.root.base64) is not the root of the entries (\(root.base64))"
            )
        }
        if let oldNote {
            let old = try Self.open(oldNote, verifier: verifier, name: "the older checkpoint")
            guard old.origin == checkpoint.origin else {
                throw LedgerError("the older checkpoint is of another log (\(old.origin))")
            }
            guard old.size <= size else {
                throw LedgerError("the older checkpoint (size \(old.size)) is larger than the current one (\(size))")
            }
            do {
                if old.size == 0 {
                    guard old.root == SHA256Hasher.emptyRoot else { throw LedgerError("wrong root for the empty tree") }
                } else {
                    let proof = try consistencyProof(old: old.size, new: size, within: size)
                    try MerkleProofs.verifyConsistency(
                        old: old.size,
                        new: size,
                        oldRoot: old.root,
                        newRoot: checkpoint.root,
                        proof: proof,
                        hasher: hasher
                    )
                }
            } catch {
                throw LedgerError("the older checkpoint (size \(old.size)) is not consistent with this log: \(error)")
            }
            result.consistentWith = old
        }
        return result
    }

    private func compare(
        level: Int,
        index: UInt64,
        recomputed: [Hash],
        size: UInt64,
        from source: String
    ) throws(LedgerError) {
        let stored = try tile(level: level, index: index, size: size)
        let path = TilePath.tile(level: level, index: index, width: recomputed.count)
        for (position, hash) in recomputed.enumerated() where stored[position] != hash {
            throw LedgerError(
                "\(path): hash \(position) differs from the one recomputed from the \(source)"
                    + (level == 0
                        ? " (entry \(index * 256 + UInt64(position)) in \(TilePath.entries(index: index, width: recomputed.count)))"
                        : "")
            )
        }
    }
}
