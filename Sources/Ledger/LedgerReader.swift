/// Reads one log the way any tlog-tiles client would: the checkpoint, hash
/// tiles and entry bundles (full, or the partial tiles of the checkpoint's
/// size). Serves proofs; `verify` recomputes everything.
public final class LedgerReader {
    public let storage: any LedgerStorage
    let hasher = SHA256Hasher()
    private var tileCache: [String: [Hash]] = [:]

    public init(storage: any LedgerStorage) {
        self.storage = storage
    }

    /// A log in a local directory.
    public convenience init(directory: String) {
        self.init(storage: DirectoryStorage(reading: directory))
    }

    /// The size of the latest checkpoint (0: none yet), from the commit chain.
    public func latestCheckpointSize() throws(LedgerError) -> UInt64 {
        let latest = try LedgerWriter.latestCommit(storage)
        guard latest > 0 else { return 0 }
        return try LedgerWriter.commit(latest, storage, hasher: hasher).checkpointSize
    }

    /// The latest checkpoint, its signature checked with `verifier`.
    public func checkpoint(verifier: NoteVerifier) throws(LedgerError) -> (checkpoint: Checkpoint, note: String) {
        let size = try latestCheckpointSize()
        guard size > 0 else { throw LedgerError("\(storage.location): no checkpoint yet") }
        return try checkpoint(size: size, verifier: verifier)
    }

    /// The checkpoint of `size` leaves, its signature checked.
    public func checkpoint(
        size: UInt64,
        verifier: NoteVerifier
    ) throws(LedgerError) -> (checkpoint: Checkpoint, note: String) {
        let name = LogObjects.checkpoint(size)
        guard let data = try storage.read(name) else { throw LedgerError("\(storage.location): \(name) is missing") }
        let note = String(decoding: data, as: UTF8.self)
        let checkpoint = try Self.open(note, verifier: verifier, name: name)
        guard checkpoint.size == size else { throw LedgerError("\(name) signs size \(checkpoint.size)") }
        return (checkpoint, note)
    }

    /// A checkpoint note's body after its signature checked out.
    public static func open(_ note: String, verifier: NoteVerifier, name: String) throws(LedgerError) -> Checkpoint {
        do {
            return try Checkpoint(text: try verifier.verify(note))
        } catch {
            throw LedgerError("\(name): \(error)")
        }
    }

    /// The hashes of tile (level, index) as a tree of `size` leaves has them.
    func tile(level: Int, index: UInt64, size: UInt64) throws(LedgerError) -> [Hash] {
        let count = size >> UInt64(8 * level)
        let width = index < count / 256 ? 256 : Int(count % 256)
        guard width > 0 else { throw LedgerError("tile \(level)/\(index) is beyond the tree of size \(size)") }
        let path = TilePath.tile(level: level, index: index, width: width)
        if let cached = tileCache[path] { return cached }
        var data: [UInt8]
        if let found = try storage.read(path) {
            data = found
        } else if width < 256, let full = try storage.read(TilePath.tile(level: level, index: index)) {
            // The partial tile was superseded and deleted: the full one's prefix.
            guard full.count == 256 * 32 else {
                throw LedgerError("\(TilePath.tile(level: level, index: index)): \(full.count) bytes, expected 8192")
            }
            data = Array(full.prefix(width * 32))
        } else {
            throw LedgerError("\(path): missing")
        }
        guard data.count == width * 32 else {
            throw LedgerError("\(path): \(data.count) bytes, expected \(width * 32)")
        }
        let hashes = stride(from: 0, to: data.count, by: 32).map { Hash(bytes: data[$0..<($0 + 32)]) }
        if tileCache.count > 4_096 { tileCache.removeAll() }
        tileCache[path] = hashes
        return hashes
    }

    /// The node of `2^level` leaves at `index`, complete within `size`.
    func node(level: Int, index: UInt64, size: UInt64) throws(LedgerError) -> Hash {
        let tileLevel = level / 8
        let within = level % 8
        let first = index << UInt64(within)
        let hashes = try tile(level: tileLevel, index: first / 256, size: size)
        let start = Int(first % 256)
        guard start + (1 << within) <= hashes.count else {
            throw LedgerError("node \(level)/\(index) is not complete in the tree of size \(size)")
        }
        return LedgerWriter.perfectRoot(hashes[start..<(start + (1 << within))], hasher: hasher)
    }

    private func lookup(size: UInt64) -> MerkleProofs.NodeLookup {
        { [self] level, index in try self.node(level: level, index: index, size: size) }
    }

    /// The root of the first `size` leaves, read from the tiles of the tree
    /// of `within` leaves (a checkpoint's size: its partial tiles exist).
    public func root(size: UInt64, within: UInt64? = nil) throws -> Hash {
        try MerkleProofs.root(size: size, hasher: hasher, node: lookup(size: within ?? size))
    }

    public func inclusionProof(index: UInt64, size: UInt64) throws -> [Hash] {
        try MerkleProofs.inclusionProof(index: index, size: size, hasher: hasher, node: lookup(size: size))
    }

    /// Between two sizes, using the tiles of the larger tree (`within`).
    public func consistencyProof(old: UInt64, new: UInt64, within: UInt64) throws -> [Hash] {
        try MerkleProofs.consistencyProof(old: old, new: new, hasher: hasher, node: lookup(size: within))
    }

    /// The stored entries of bundle `index` in a tree of `size` leaves.
    func bundle(_ index: UInt64, size: UInt64) throws(LedgerError) -> [[UInt8]] {
        let width = index < size / 256 ? 256 : Int(size % 256)
        let path = TilePath.entries(index: index, width: width)
        if width < 256, !(try storage.exists(path)), let full = try storage.read(TilePath.entries(index: index)) {
            // The partial bundle was superseded and deleted: the full one's first entries.
            guard let entries = LedgerEntry.parseBundle(full), entries.count == 256 else {
                throw LedgerError("\(TilePath.entries(index: index)): malformed or not 256 entries")
            }
            return Array(entries.prefix(width))
        }
        guard let data = try storage.read(path) else { throw LedgerError("\(path): missing") }
        guard let entries = LedgerEntry.parseBundle(data) else {
            throw LedgerError("\(path): malformed (the entry lengths do not add up)")
        }
        guard entries.count == width else { throw LedgerError("\(path): \(entries.count) entries, expected \(width)") }
        return entries
    }

    /// The stored entry of leaf `index` (a pointer for an oversized message).
    /// It reads and parses the entry's whole bundle: for a run of leaves use
    /// `entries(_:size:)`.
    public func storedEntry(_ index: UInt64, size: UInt64) throws(LedgerError) -> [UInt8] {
        try bundle(index / 256, size: size)[Int(index % 256)]
    }

    /// The stored entries of the leaves in `range`, in order, each entry
    /// bundle read and parsed once. `storedEntry` per leaf reads and parses
    /// the same bundle 256 times: `ledger export` of a million entries took
    /// 37 s that way, against 1.5 s for `verify`, which reads each bundle
    /// once.
    public func entries(_ range: Range<UInt64>, size: UInt64) -> StoredEntries {
        StoredEntries(reader: self, range: range, size: size)
    }

    /// Stored entries of consecutive leaves, one bundle in memory at a time:
    /// see `entries(_:size:)`.
    public struct StoredEntries {
        private let reader: LedgerReader
        private let size: UInt64
        private let end: UInt64
        private var index: UInt64
        private var bundleIndex: UInt64?
        private var bundle: [[UInt8]] = []

        init(reader: LedgerReader, range: Range<UInt64>, size: UInt64) {
            self.reader = reader
            self.size = size
            end = range.upperBound
            index = range.lowerBound
        }

        /// The next leaf's index and stored entry (a pointer for an oversized
        /// message), or nil after the range's last.
        public mutating func next() throws(LedgerError) -> (index: UInt64, entry: [UInt8])? {
            guard index < end else { return nil }
            guard index < size else { throw LedgerError("leaf \(index) is beyond the tree of size \(size)") }
            if bundleIndex != index / 256 {
                bundle = try reader.bundle(index / 256, size: size)
                bundleIndex = index / 256
            }
            defer { index += 1 }
            return (index, bundle[Int(index % 256)])
        }
    }

    /// The message bytes of a stored entry: itself, or the content a
    /// pointer names, checked against its digest and length.
    public func message(from entry: [UInt8]) throws(LedgerError) -> [UInt8] {
        guard let pointer = LedgerEntry.parsePointer(entry) else { return entry }
        let path = LedgerEntry.largePath(pointer.digest)
        guard let data = try storage.read(path) else { throw LedgerError("\(path): missing") }
        guard data.count == pointer.length, hasher.sha256(data) == pointer.digest else {
            throw LedgerError("\(path): its content does not match its SHA-256 address")
        }
        return data
    }

    /// Leaf indexes of `eventID` in the log's index (usually one), within
    /// the tree of `size` leaves (a checkpoint's size: its partial index exists).
    public func leaves(eventID: String, size: UInt64) throws(LedgerError) -> [UInt64] {
        var found: [UInt64] = []
        var lines = indexLines(0..<size, size: size)
        while let line = try lines.next() {
            if line.eventID == eventID { found.append(line.leaf) }
        }
        return found
    }

    /// One line of a log's index: where a leaf's message came from.
    public struct IndexLine: Equatable, Sendable {
        public var leaf: UInt64
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        public var eventID: String?
    }

    /// The index lines of the leaves in `range`, one index bundle in memory at a time.
    public func indexLines(_ range: Range<UInt64>, size: UInt64) -> IndexLines {
        IndexLines(reader: self, range: range, size: size)
    }

    public struct IndexLines {
        private let reader: LedgerReader
        private let size: UInt64
        private let end: UInt64
        private var index: UInt64
        private var bundleIndex: UInt64?
        private var lines: [IndexLine] = []

        init(reader: LedgerReader, range: Range<UInt64>, size: UInt64) {
            self.reader = reader
            self.size = size
            end = range.upperBound
            index = range.lowerBound
        }

        /// The next leaf's line, or nil after the range's last.
        public mutating func next() throws(LedgerError) -> IndexLine? {
            guard index < end else { return nil }
            guard index < size else { throw LedgerError("leaf \(index) is beyond the tree of size \(size)") }
            if bundleIndex != index / 256 {
                lines = try reader.indexBundle(index / 256, size: size)
                bundleIndex = index / 256
            }
            defer { index += 1 }
            return lines[Int(index % 256)]
        }
    }

    func indexBundle(_ n: UInt64, size: UInt64) throws(LedgerError) -> [IndexLine] {
        let width = n < size / 256 ? 256 : Int(size % 256)
        let name = LogObjects.index(n, width: width)
        var data = try storage.read(name)
        if data == nil, width < 256, let full = try storage.read(LogObjects.index(n)) { data = full }
        guard let data else { throw LedgerError("\(storage.location): \(name) is missing") }
        var out: [IndexLine] = []
        for line in data.split(separator: 0x0A).prefix(width) {
            let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
            guard fields.count == 5, let leaf = UInt64(String(decoding: fields[0], as: UTF8.self)),
                let partition = Int32(String(decoding: fields[2], as: UTF8.self)),
                let offset = Int64(String(decoding: fields[3], as: UTF8.self)), leaf == n * 256 + UInt64(out.count)
            else { throw LedgerError("\(storage.location): \(name) line \(out.count + 1) is malformed") }
            let id = String(decoding: fields[4], as: UTF8.self)
            out.append(
                IndexLine(
                    leaf: leaf,
                    topic: String(decoding: fields[1], as: UTF8.self),
                    partition: partition,
                    offset: offset,
                    eventID: id == "-" ? nil : id
                )
            )
        }
        guard out.count == width else {
            throw LedgerError("\(storage.location): \(name) holds \(out.count) lines, expected \(width)")
        }
        return out
    }
}
