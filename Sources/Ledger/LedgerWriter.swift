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

/// Appends messages to the ledger directory: an RFC 9162 tree stored as
/// C2SP tiles and entry bundles, with signed checkpoints.
///
/// Group commit: `append` returns once the whole batch is durable (its full
/// tiles and bundles fsynced and renamed, then the state file naming the
/// new size and the next offset per source partition). A message whose
/// offset is below its partition's durable next offset is already in the
/// ledger (a re-delivery after a crash or a rebalance) and is not appended
/// again; so after SIGKILL at any moment, the re-delivered tail is appended
/// exactly once. Blocking; the owner calls it from one serial queue (hence
/// unchecked Sendable).
public final class LedgerWriter: @unchecked Sendable {
    public let origin: String
    private let files: LedgerFiles
    private let signer: NoteSigner?
    private let hasher = SHA256Hasher()
    private var state: LedgerState
    /// Leaf indexes of the last appends per partition, to answer for a
    /// re-delivered message (bounded per partition).
    private var recent: [String: Deque<(offset: Int64, leaf: UInt64)>] = [:]
    private let recentLimit = 65_536
    private var indexDirty = false

    public var size: UInt64 { state.size }
    public var checkpointSize: UInt64 { state.checkpointSize }

    public init(directory: String, origin: String, signer: NoteSigner?) throws(LedgerError) {
        files = LedgerFiles(root: directory)
        self.origin = origin
        self.signer = signer
        if let failure = FileWrites.makeDirectories(directory) { throw LedgerError(failure) }
        if let data = try files.readIfPresent("state") {
            state = try LedgerState(decoding: data, hasher: hasher)
        } else {
            guard !files.exists("checkpoint") else {
                throw LedgerError("\(directory) holds a checkpoint but no state file; refusing to start over")
            }
            state = LedgerState()
        }
        if let note = try files.readIfPresent("checkpoint") {
            let text = String(decoding: note, as: UTF8.self)
            let body = text.components(separatedBy: "\n\n").first.map { $0 + "\n" } ?? ""
            let checkpoint: Checkpoint
            do {
                checkpoint = try Checkpoint(text: body)
            } catch {
                throw LedgerError("the checkpoint in \(directory) is unreadable: \(error)")
            }
            guard checkpoint.origin == origin else {
                throw LedgerError("\(directory) belongs to the log '\(checkpoint.origin)', not '\(origin)'")
            }
            guard checkpoint.size <= state.size else {
                throw LedgerError("the checkpoint (size \(checkpoint.size)) is ahead of the state (\(state.size))")
            }
        }
        removeStrays()
        try files.truncate("index.log", to: Int(state.indexLength))
    }

    /// Full tiles and bundles written after the last durable state (a crash
    /// between renaming them and renaming the state) are not part of the
    /// tree: the re-delivered tail may append different entries there.
    private func removeStrays() {
        var level = 0
        while true {
            let shift = UInt64(8 * (level + 1))
            var index = shift < 64 ? state.size >> shift : 0
            var found = false
            while files.exists(TilePath.tile(level: level, index: index)) {
                files.remove(TilePath.tile(level: level, index: index))
                index += 1
                found = true
            }
            if !found && level >= state.rows.count { break }
            level += 1
        }
        var bundle = state.size / 256
        while files.exists(TilePath.entries(index: bundle)) {
            files.remove(TilePath.entries(index: bundle))
            bundle += 1
        }
    }

    /// Appends the batch durably; returns each message's leaf index (for a
    /// re-delivered message the index it got before, when still known).
    public func append(_ messages: [LedgerMessage]) throws(LedgerError) -> [UInt64?] {
        var next = state
        var results: [UInt64?] = []
        results.reserveCapacity(messages.count)
        var written: [(path: String, bytes: [UInt8])] = []
        var index: [UInt8] = []
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
                if !files.exists(path) && !written.contains(where: { $0.path == path }) {
                    written.append((path, entry))
                }
                entry = LedgerEntry.pointer(digest: digest, length: entry.count)
            }
            let leaf = next.size
            next.pendingEntries.append(entry)
            next.size += 1
            push(hasher.leafHash(entry), level: 0, state: &next, written: &written)
            if next.pendingEntries.count == TilePath.width {
                written.append((TilePath.entries(index: leaf / 256), LedgerEntry.bundle(next.pendingEntries)))
                next.pendingEntries = []
            }
            next.watermarks[key] = message.offset + 1
            index += "\(leaf)\t\(message.topic)\t\(message.partition)\t\(message.offset)\t".utf8
            Self.appendIndexSafe(message.eventID ?? "-", to: &index)
            index.append(0x0A)
            appended[key, default: []].append((message.offset, leaf))
            results.append(leaf)
        }
        guard next.size != state.size || next.watermarks != state.watermarks else { return results }
        next.indexLength += UInt64(index.count)
        try commit(next, written: written, index: index)
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
        written: inout [(path: String, bytes: [UInt8])]
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

    private func commit(
        _ next: LedgerState,
        written: [(path: String, bytes: [UInt8])],
        index: [UInt8]
    ) throws(LedgerError) {
        if indexDirty { try files.truncate("index.log", to: Int(state.indexLength)) }
        indexDirty = true
        try files.append("index.log", index)
        try files.writeTemporaryDurably(written, readOnly: true)
        try files.sync(["index.log"])
        for file in written { try files.rename(file.path) }
        try files.sync(LedgerFiles.directories(of: written.map(\.path)))
        try files.writeDurably("state", next.encoded(hasher: hasher))
        state = next
        indexDirty = false
        // Partial tiles a full one now supersedes (C2SP lets a log delete
        // them; readers fall back to the full tile's prefix).
        for file in written where file.path.hasPrefix("tile/") { files.removeDirectory(file.path + ".p") }
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
    public func checkpoint() throws(LedgerError) -> Checkpoint {
        guard let signer else { throw LedgerError("no signing key: checkpoints cannot be written") }
        let size = state.size
        var partial: [(path: String, bytes: [UInt8])] = []
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
        let fresh = partial.filter { !files.exists($0.path) }
        try files.writeTemporaryDurably(fresh, readOnly: true)
        for file in fresh { try files.rename(file.path) }
        try files.sync(LedgerFiles.directories(of: fresh.map(\.path)))
        let checkpoint = Checkpoint(origin: origin, size: size, root: root())
        let note: String
        do {
            note = try signer.sign(checkpoint.text)
        } catch {
            throw LedgerError("cannot sign the checkpoint: \(error)")
        }
        try files.writeDurably("checkpoint", Array(note.utf8))
        state.checkpointSize = size
        state.checkpointRoot = checkpoint.root
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
