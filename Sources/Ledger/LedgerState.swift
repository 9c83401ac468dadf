/// What the writer keeps besides full tiles: the partial row of hashes at
/// each tile level, the entries of the partial bundle, the next offset per
/// source partition, the length of the local index, the last checkpoint.
/// Written durably after every batch (tmp, fsync, rename) once the batch's
/// full tiles are durable: the state never names data that is not on disk.
struct LedgerState: Equatable {
    var size: UInt64 = 0
    /// rows[L]: hashes of the nodes at height 8L in the partial tile of level L.
    var rows: [[Hash]] = [[]]
    /// Entries (as stored in bundles) of the partial bundle.
    var pendingEntries: [[UInt8]] = []
    /// Next offset per "topic\u{0}partition".
    var watermarks: [String: Int64] = [:]
    var indexLength: UInt64 = 0
    var checkpointSize: UInt64 = 0
    var checkpointRoot = SHA256Hasher.emptyRoot

    static let magic = Array("CSLEDGR1".utf8)

    func encoded(hasher: SHA256Hasher) -> [UInt8] {
        var out = Self.magic
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.bigEndian) { out += $0 } }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { out += $0 } }
        u64(size)
        u64(indexLength)
        u64(checkpointSize)
        out += checkpointRoot.bytes
        u32(UInt32(rows.count))
        for row in rows {
            u32(UInt32(row.count))
            for hash in row { out += hash.bytes }
        }
        u32(UInt32(pendingEntries.count))
        for entry in pendingEntries {
            u32(UInt32(entry.count))
            out += entry
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

    init(decoding data: [UInt8], hasher: SHA256Hasher) throws(LedgerError) {
        let corrupt = LedgerError("the ledger's state file is corrupt")
        guard data.count >= Self.magic.count + 32, Array(data.prefix(8)) == Self.magic else { throw corrupt }
        let body = Array(data.dropLast(32))
        guard hasher.sha256(body) == Hash(bytes: data.suffix(32)) else { throw corrupt }
        var offset = 8
        func take(_ n: Int) throws(LedgerError) -> ArraySlice<UInt8> {
            guard offset + n <= body.count else { throw corrupt }
            defer { offset += n }
            return body[offset..<(offset + n)]
        }
        func u64() throws(LedgerError) -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }
        func u32() throws(LedgerError) -> Int { Int(try take(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
        size = try u64()
        indexLength = try u64()
        checkpointSize = try u64()
        checkpointRoot = Hash(bytes: try take(32))
        rows = []
        for _ in 0..<(try u32()) {
            var row: [Hash] = []
            for _ in 0..<(try u32()) { row.append(Hash(bytes: try take(32))) }
            rows.append(row)
        }
        for _ in 0..<(try u32()) { pendingEntries.append(Array(try take(try u32()))) }
        for _ in 0..<(try u32()) {
            let key = String(decoding: try take(try u32()), as: UTF8.self)
            watermarks[key] = Int64(bitPattern: try u64())
        }
        guard offset == body.count, !rows.isEmpty else { throw corrupt }
    }
}
