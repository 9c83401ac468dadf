/// One commit of a log: the object `commit/<seq>`, created once, never
/// replaced. It holds what a writer needs besides the full tiles to carry
/// on (the partial row of hashes at each tile level, the next offset per
/// source partition, the last checkpoint) and the entries and index lines
/// this commit appended that are not yet in a full bundle; the commits
/// since the last full bundle hold the rest. The chain of commits is the
/// log's head: commit N+1 can be created only by whoever read commit N, and
/// a writer's claim (a commit with a higher epoch) fences every earlier
/// writer of the log (``LedgerWriter``).
struct LedgerState: Equatable {
    /// This commit's number in the chain (1 for the first).
    var seq: UInt64 = 0
    /// The writer's epoch: raised by one by each new owner's claim.
    var epoch: UInt64 = 0
    var size: UInt64 = 0
    /// The first leaf this commit appended (== size when it appended none).
    var firstLeaf: UInt64 = 0
    /// rows[L]: hashes of the nodes at height 8L in the partial tile of level L.
    var rows: [[Hash]] = [[]]
    /// Entries (as stored in bundles) and index lines of the partial bundle.
    var pendingEntries: [[UInt8]] = []
    var pendingIndex: [[UInt8]] = []
    /// Next offset per "topic\u{0}partition".
    var watermarks: [String: Int64] = [:]
    var checkpointSize: UInt64 = 0
    var checkpointRoot = SHA256Hasher.emptyRoot

    static let magic = Array("CSLEDGC1".utf8)

    /// The first leaf of the partial bundle.
    var bundleStart: UInt64 { size - UInt64(pendingEntries.count) }

    /// The record: everything above but only the pending entries this commit appended.
    func encoded(hasher: SHA256Hasher) -> [UInt8] {
        var out = Self.magic
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.bigEndian) { out += $0 } }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { out += $0 } }
        u64(seq)
        u64(epoch)
        u64(size)
        u64(firstLeaf)
        u64(checkpointSize)
        out += checkpointRoot.bytes
        u32(UInt32(rows.count))
        for row in rows {
            u32(UInt32(row.count))
            for hash in row { out += hash.bytes }
        }
        let own = Int(min(size - max(firstLeaf, bundleStart), UInt64(pendingEntries.count)))
        u32(UInt32(own))
        for (entry, line) in zip(pendingEntries.suffix(own), pendingIndex.suffix(own)) {
            u32(UInt32(entry.count))
            out += entry
            u32(UInt32(line.count))
            out += line
        }
        u32(UInt32(watermarks.count))
        for (key, offset) in watermarks.sorted(by: { $0.key < $1.key }) {
            let bytes = Array(key.utf8)
            u32(UInt32(bytes.count))
            out += bytes
            u64(UInt64(bitPattern: offset))
        }
        out += hasher.sha256(out).bytes
        return out
    }

    init() {}

    /// A decoded record; its `pendingEntries`/`pendingIndex` hold only the
    /// entries it appended itself (``LedgerWriter`` gathers the rest).
    init(decoding data: [UInt8], hasher: SHA256Hasher, name: String) throws(LedgerError) {
        let corrupt = LedgerError("\(name) is corrupt")
        guard data.count >= Self.magic.count + 32, Array(data.prefix(8)) == Self.magic else { throw corrupt }
        let body = Array(data.dropLast(32))
        guard hasher.sha256(body) == Hash(bytes: data.suffix(32)) else { throw corrupt }
        var offset = 8
        func take(_ n: Int) throws(LedgerError) -> ArraySlice<UInt8> {
            guard n >= 0, offset + n <= body.count else { throw corrupt }
            defer { offset += n }
            return body[offset..<(offset + n)]
        }
        func u64() throws(LedgerError) -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }
        func u32() throws(LedgerError) -> Int { Int(try take(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
        seq = try u64()
        epoch = try u64()
        size = try u64()
        firstLeaf = try u64()
        checkpointSize = try u64()
        checkpointRoot = Hash(bytes: try take(32))
        rows = []
        for _ in 0..<(try u32()) {
            var row: [Hash] = []
            for _ in 0..<(try u32()) { row.append(Hash(bytes: try take(32))) }
            rows.append(row)
        }
        for _ in 0..<(try u32()) {
            pendingEntries.append(Array(try take(try u32())))
            pendingIndex.append(Array(try take(try u32())))
        }
        for _ in 0..<(try u32()) {
            let key = String(decoding: try take(try u32()), as: UTF8.self)
            watermarks[key] = Int64(bitPattern: try u64())
        }
        guard offset == body.count, !rows.isEmpty, firstLeaf <= size else { throw corrupt }
    }
}
