import Blocking
import DequeModule

/// One consumed message to mirror: its raw bytes exactly as received and
/// where it came from (the coordinates make re-delivery idempotent).
public struct LedgerMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var bytes: [UInt8]
    public var eventID: String?

    public init(topic: String, partition: Int32, offset: Int64, bytes: [UInt8], eventID: String?) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.bytes = bytes
        self.eventID = eventID
    }
}

/// A writer that lost its log to a newer owner (a rebalance gave the
/// partition to another worker, which claimed the log).
public struct LedgerFenced: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Appends messages to one log in a ``LedgerStorage``: an RFC 9162 tree
/// stored as C2SP tiles and entry bundles, with signed checkpoints.
///
/// Group commit: `append` returns once the whole batch is durable (its full
/// tiles, bundles and index bundles created, then the commit record that
/// names the new size and the next offset per source partition). A message
/// whose offset is below its partition's next offset is already in the log
/// (a re-delivery after a crash or a rebalance) and is not appended again;
/// so after SIGKILL at any moment, the re-delivered tail is appended
/// exactly once.
///
/// Many owners over time, one at a time: opening a writer claims the log
/// (a commit record with the next epoch), and every commit is created only
/// if its number is free. An earlier owner that keeps writing finds its
/// next number taken by a higher epoch and gets ``LedgerFenced``: nothing
/// it appends after the claim becomes part of the log. Objects are never
/// replaced or deleted, so the same code runs on a WORM bucket.
/// Blocking; the owner calls it from one serial queue (hence unchecked
/// Sendable).
public final class LedgerWriter: @unchecked Sendable {
    public let origin: String
    public let storage: any LedgerStorage
    private let signer: NoteSigner?
    private let hasher = SHA256Hasher()
    private var state: LedgerState
    /// Leaf indexes of the last appends per partition, to answer for a
    /// re-delivered message (bounded per partition).
    private var recent: [String: Deque<(offset: Int64, leaf: UInt64)>] = [:]
    private let recentLimit = 65_536

    public var size: UInt64 { state.size }
    public var checkpointSize: UInt64 { state.checkpointSize }
    public var epoch: UInt64 { state.epoch }

    /// A log in a local directory (one host, tests).
    public convenience init(directory: String, origin: String, signer: NoteSigner?) throws(LedgerError) {
        try self.init(storage: try DirectoryStorage(root: directory), origin: origin, signer: signer)
    }

    /// Opens the log and claims it: from here on, earlier writers are fenced.
    public init(storage: any LedgerStorage, origin: String, signer: NoteSigner?) throws(LedgerError) {
        self.storage = storage
        self.origin = origin
        self.signer = signer
        var attempts = 0
        while true {
            let head = try Self.head(storage, hasher: hasher)
            if let checkpointName = head.checkpointSize > 0 ? LogObjects.checkpoint(head.checkpointSize) : nil,
                let note = try storage.read(checkpointName)
            {
                let body = String(decoding: note, as: UTF8.self).components(separatedBy: "\n\n").first.map { $0 + "\n" }
                guard let body, let checkpoint = try? Checkpoint(text: body) else {
                    throw LedgerError("\(storage.location): \(checkpointName) is unreadable")
                }
                guard checkpoint.origin == origin else {
                    throw LedgerError("\(storage.location) belongs to the log '\(checkpoint.origin)', not '\(origin)'")
                }
            }
            var claim = head
            claim.seq += 1
            claim.epoch += 1
            claim.firstLeaf = claim.size
            switch try storage.create(LogObjects.commit(claim.seq), claim.encoded(hasher: hasher)) {
            case .created:
                state = claim
                return
            case .exists:
                // Another writer committed or claimed meanwhile: read the head again.
                attempts += 1
                guard attempts < 20 else {
                    throw LedgerError("\(storage.location): cannot claim the log (20 attempts lost to other writers)")
                }
            }
        }
    }

    /// The latest commit with the partial bundle's entries gathered from
    /// the commits that appended them; an empty state for a new log.
    static func head(_ storage: any LedgerStorage, hasher: SHA256Hasher) throws(LedgerError) -> LedgerState {
        let latest = try latestCommit(storage)
        guard latest > 0 else { return LedgerState() }
        var head = try commit(latest, storage, hasher: hasher)
        var entries = head.pendingEntries
        var lines = head.pendingIndex
        let bundleStart = head.size / 256 * 256
        var seq = latest
        var first = head.firstLeaf
        while first > bundleStart && seq > 1 {
            seq -= 1
            let earlier = try commit(seq, storage, hasher: hasher)
            entries = earlier.pendingEntries + entries
            lines = earlier.pendingIndex + lines
            first = min(first, earlier.firstLeaf)
        }
        let wanted = Int(head.size - bundleStart)
        guard entries.count >= wanted else {
            throw LedgerError("\(storage.location): the commits hold \(entries.count) of the \(wanted) pending entries")
        }
        head.pendingEntries = Array(entries.suffix(wanted))
        head.pendingIndex = Array(lines.suffix(wanted))
        return head
    }

    static func commit(
        _ seq: UInt64,
        _ storage: any LedgerStorage,
        hasher: SHA256Hasher
    ) throws(LedgerError) -> LedgerState {
        let name = LogObjects.commit(seq)
        guard let data = try storage.read(name) else { throw LedgerError("\(storage.location): \(name) is missing") }
        let record = try LedgerState(decoding: data, hasher: hasher, name: "\(storage.location)/\(name)")
        guard record.seq == seq else { throw LedgerError("\(storage.location): \(name) names commit \(record.seq)") }
        return record
    }

    /// The number of the last commit (0: none). Commits are numbered
    /// without gaps, so presence is a prefix of the numbers: an exponential
    /// then binary search costs about 2 log2(n) reads, whatever the listing.
    /// The number of a log's last commit (0: none yet); for progress and tests.
    public static func latestCommitNumber(_ storage: any LedgerStorage) throws(LedgerError) -> UInt64 {
        try latestCommit(storage)
    }

    /// The tree size commit `seq` of a log names.
    public static func committedSize(_ storage: any LedgerStorage, _ seq: UInt64) throws(LedgerError) -> UInt64 {
        try commit(seq, storage, hasher: SHA256Hasher()).size
    }

    static func latestCommit(_ storage: any LedgerStorage) throws(LedgerError) -> UInt64 {
        try latestNumber { (seq: UInt64) throws(LedgerError) in try storage.exists(LogObjects.commit(seq)) }
    }

    /// The largest n with present(n), when present holds for 1...n and not after (0: none).
    static func latestNumber(_ present: (UInt64) throws(LedgerError) -> Bool) throws(LedgerError) -> UInt64 {
        guard try present(1) else { return 0 }
        var low: UInt64 = 1
        var high: UInt64 = 2
        while try present(high) {
            low = high
            high *= 2
        }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if try present(middle) { low = middle } else { high = middle }
        }
        return low
    }

    /// Appends the batch durably; returns each message's leaf index (for a
    /// re-delivered message the index it got before, when still known).
    /// Throws ``LedgerFenced`` when another writer has claimed the log.
    public func append(_ messages: [LedgerMessage]) throws -> [UInt64?] {
        var next = state
        next.seq += 1
        next.firstLeaf = next.size
        var results: [UInt64?] = []
        results.reserveCapacity(messages.count)
        var written: [(name: String, bytes: [UInt8])] = []
        var appended: [String: [(offset: Int64, leaf: UInt64)]] = [:]
        for message in messages {
            let key = message.topic + "\u{0}" + String(message.partition)
            if let watermark = next.watermarks[key], message.offset < watermark {
                results.append(lookup(key, message.offset, pending: appended))
                continue
            }
            var entry = message.bytes
            if LedgerEntry.needsPointer(entry) {
                let digest = hasher.sha256(entry)
                let path = LedgerEntry.largePath(digest)
                if !written.contains(where: { $0.name == path }) { written.append((path, entry)) }
                entry = LedgerEntry.pointer(digest: digest, length: entry.count)
            }
            let leaf = next.size
            var line = Array("\(leaf)\t\(message.topic)\t\(message.partition)\t\(message.offset)\t".utf8)
            Self.appendIndexSafe(message.eventID ?? "-", to: &line)
            line.append(0x0A)
            next.pendingEntries.append(entry)
            next.pendingIndex.append(line)
            next.size += 1
            push(hasher.leafHash(entry), level: 0, state: &next, written: &written)
            if next.pendingEntries.count == TilePath.width {
                written.append((TilePath.entries(index: leaf / 256), LedgerEntry.bundle(next.pendingEntries)))
                written.append((LogObjects.index(leaf / 256), next.pendingIndex.flatMap { $0 }))
                next.pendingEntries = []
                next.pendingIndex = []
            }
            next.watermarks[key] = message.offset + 1
            appended[key, default: []].append((message.offset, leaf))
            results.append(leaf)
        }
        guard next.size != state.size || next.watermarks != state.watermarks else { return results }
        try commit(next, written: written)
        for (key, leaves) in appended {
            recent[key, default: []].append(contentsOf: leaves)
            let excess = recent[key]!.count - recentLimit
            if excess > 0 { recent[key]!.removeFirst(excess) }
        }
        return results
    }

    /// Adds a node at height 8*level; a row of 256 is a full tile: written,
    /// and its root goes one level up.
    private func push(
        _ hash: Hash,
        level: Int,
        state next: inout LedgerState,
        written: inout [(name: String, bytes: [UInt8])]
    ) {
        if next.rows.count == level { next.rows.append([]) }
        next.rows[level].append(hash)
        guard next.rows[level].count == TilePath.width else { return }
        let tileIndex = (next.size >> UInt64(8 * level)) / 256 - 1
        var bytes: [UInt8] = []
        bytes.reserveCapacity(TilePath.width * 32)
        for node in next.rows[level] { bytes += node.bytes }
        written.append((TilePath.tile(level: level, index: tileIndex), bytes))
        let root = Self.perfectRoot(next.rows[level][...], hasher: hasher)
        next.rows[level] = []
        push(root, level: level + 1, state: &next, written: &written)
    }

    /// Creates the batch's objects (an object already there from a crashed
    /// attempt holds the same bytes: the same messages from the same state),
    /// then the commit record, which makes them part of the log.
    private func commit(_ next: LedgerState, written: [(name: String, bytes: [UInt8])]) throws {
        try storage.createIdempotently(written)
        let record = next.encoded(hasher: hasher)
        if try storage.create(LogObjects.commit(next.seq), record) == .exists {
            // Ours after all (a retry whose first answer was lost), or the claim of a newer owner.
            guard try storage.read(LogObjects.commit(next.seq)) == record else {
                let other = try? Self.commit(next.seq, storage, hasher: hasher)
                throw LedgerFenced(
                    description: "\(storage.location): commit \(next.seq) was made by another writer (epoch "
                        + "\(other.map { String($0.epoch) } ?? "?"), ours \(next.epoch)): this writer no longer owns the log"
                )
            }
        }
        state = next
    }

    /// The leaf a re-delivered message got before: from this batch, or
    /// from the recent appends of its partition (both in offset order, so
    /// a binary search: a re-delivered tail of thousands stays cheap).
    private func lookup(
        _ key: String,
        _ offset: Int64,
        pending: [String: [(offset: Int64, leaf: UInt64)]]
    ) -> UInt64? {
        if let hit = Self.search(pending[key] ?? [], offset) { return hit }
        return recent[key].flatMap { Self.search($0, offset) }
    }

    private static func search<C: RandomAccessCollection>(_ entries: C, _ offset: Int64) -> UInt64?
    where C.Element == (offset: Int64, leaf: UInt64) {
        var low = entries.startIndex
        var high = entries.endIndex
        while low < high {
            let middle = entries.index(low, offsetBy: entries.distance(from: low, to: high) / 2)
            if entries[middle].offset < offset {
                low = entries.index(after: middle)
            } else {
                high = middle
            }
        }
        return low < entries.endIndex && entries[low].offset == offset ? entries[low].leaf : nil
    }

    /// The tree's root now.
    public func root() -> Hash { Self.root(of: state, hasher: hasher) }

    static func root(of state: LedgerState, hasher: SHA256Hasher) -> Hash {
        guard state.size > 0 else { return SHA256Hasher.emptyRoot }
        // The perfect subtrees of the tree, left to right: each level's
        // partial row split by the binary digits of its length.
        var subtrees: [Hash] = []
        for level in stride(from: state.rows.count - 1, through: 0, by: -1) {
            let row = state.rows[level]
            var start = 0
            for bit in stride(from: 7, through: 0, by: -1) where row.count & (1 << bit) != 0 {
                subtrees.append(perfectRoot(row[start..<(start + (1 << bit))], hasher: hasher))
                start += 1 << bit
            }
        }
        var root = subtrees.removeLast()
        while let left = subtrees.popLast() { root = hasher.nodeHash(left, root) }
        return root
    }

    /// The root of a power-of-two number of sibling nodes.
    static func perfectRoot(_ nodes: ArraySlice<Hash>, hasher: SHA256Hasher) -> Hash {
        var level = Array(nodes)
        while level.count > 1 {
            var next: [Hash] = []
            next.reserveCapacity(level.count / 2)
            for pair in stride(from: 0, to: level.count, by: 2) {
                next.append(hasher.nodeHash(level[pair], level[pair + 1]))
            }
            level = next
        }
        return level[0]
    }

    /// Writes the partial tiles of the current size and a signed checkpoint
    /// for it. Only durable state is ever signed, and the tree only grows,
    /// so no two checkpoints can be inconsistent.
    @discardableResult
    public func checkpoint() throws -> Checkpoint {
        guard let signer else { throw LedgerError("no signing key: checkpoints cannot be written") }
        let size = state.size
        var partial: [(name: String, bytes: [UInt8])] = []
        for (level, row) in state.rows.enumerated() where !row.isEmpty {
            let tileIndex = (size >> UInt64(8 * level)) / 256
            partial.append(
                (TilePath.tile(level: level, index: tileIndex, width: row.count), row.flatMap(\.bytes))
            )
        }
        if !state.pendingEntries.isEmpty {
            partial.append(
                (
                    TilePath.entries(index: size / 256, width: state.pendingEntries.count),
                    LedgerEntry.bundle(state.pendingEntries)
                )
            )
        }
        if !state.pendingIndex.isEmpty {
            partial.append(
                (LogObjects.index(size / 256, width: state.pendingIndex.count), state.pendingIndex.flatMap { $0 })
            )
        }
        try storage.createIdempotently(partial)
        let checkpoint = Checkpoint(origin: origin, size: size, root: root())
        let note: String
        do {
            note = try signer.sign(checkpoint.text)
        } catch {
            throw LedgerError("cannot sign the checkpoint: \(error)")
        }
        // Ed25519 signatures are deterministic: a retry writes the same bytes.
        try storage.createIdempotently([(LogObjects.checkpoint(size), Array(note.utf8))])
        var next = state
        next.seq += 1
        next.firstLeaf = next.size
        next.checkpointSize = size
        next.checkpointRoot = checkpoint.root
        try commit(next, written: [])
        return checkpoint
    }

    /// Tabs and newlines would break the index's lines; event ids never hold
    /// them. Byte by byte: this runs for every entry.
    static func appendIndexSafe(_ id: String, to index: inout [UInt8]) {
        for byte in id.utf8 {
            index.append(byte == 0x09 || byte == 0x0A || byte == 0x0D ? 0x20 : byte)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
