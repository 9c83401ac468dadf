/// The organisation checkpoint: one signed note that commits to the latest
/// checkpoint of every partition log (an RFC 9162 tree whose leaves are
/// the logs' checkpoint bodies, in log order), so an auditor verifies the
/// whole archive at one point in time and sees a log that is missing or
/// shorter than it was. Its body is a C2SP checkpoint of origin
/// `<archive origin>/org` whose size is the number of logs, with one
/// extension line `logs <sha256 hex>` naming the manifest object
/// `org/logs/<sha256 hex>` (the logs' signed checkpoint notes). Numbered
/// `org/<seq>` without gaps; any worker may write the next one.
extension LedgerArchive {
    public struct OrganisationCheckpoint: Sendable {
        public var seq: UInt64
        public var checkpoint: Checkpoint
        public var note: String
        /// Each log's signed checkpoint note at that time, in log order.
        public var logs: [(log: LogID, note: String)]
    }

    static func organisationName(_ seq: UInt64) -> String { "org/" + String(seq).leftPadded(to: 20) }

    /// Signs a new organisation checkpoint over the latest checkpoint of
    /// every registered log that has one.
    @discardableResult
    public func writeOrganisationCheckpoint(signer: NoteSigner) throws(LedgerError) -> OrganisationCheckpoint {
        var logs: [(log: LogID, note: String)] = []
        for log in try self.logs() {
            let reader = reader(for: log)
            let size = try reader.latestCheckpointSize()
            guard size > 0, let note = try reader.storage.read(LogObjects.checkpoint(size)) else { continue }
            logs.append((log, String(decoding: note, as: UTF8.self)))
        }
        let hasher = SHA256Hasher()
        let manifest = Self.manifest(logs)
        let manifestDigest = hasher.sha256(manifest)
        try storage.createIdempotently([("org/logs/\(manifestDigest.hex)", manifest)])
        let root = try Self.root(of: logs.map(\.note))
        let checkpoint = Checkpoint(
            origin: origin + "/org",
            size: UInt64(logs.count),
            root: root,
            extensions: ["logs \(manifestDigest.hex)"]
        )
        let note: String
        do {
            note = try signer.sign(checkpoint.text)
        } catch {
            throw LedgerError("cannot sign the organisation checkpoint: \(error)")
        }
        var seq = try latestOrganisationSeq() + 1
        for _ in 0..<20 {
            if try storage.create(Self.organisationName(seq), Array(note.utf8)) == .created {
                return OrganisationCheckpoint(seq: seq, checkpoint: checkpoint, note: note, logs: logs)
            }
            seq += 1
        }
        throw LedgerError("\(storage.location): cannot number an organisation checkpoint (20 attempts lost)")
    }

    /// The latest organisation checkpoint (nil: none yet), its signature,
    /// manifest and root checked.
    public func latestOrganisationCheckpoint(verifier: NoteVerifier) throws(LedgerError) -> OrganisationCheckpoint? {
        let seq = try latestOrganisationSeq()
        guard seq > 0 else { return nil }
        let name = Self.organisationName(seq)
        guard let data = try storage.read(name) else { throw LedgerError("\(storage.location): \(name) is missing") }
        let note = String(decoding: data, as: UTF8.self)
        let checkpoint = try LedgerReader.open(note, verifier: verifier, name: name)
        guard checkpoint.origin == origin + "/org", checkpoint.extensions.count == 1,
            checkpoint.extensions[0].hasPrefix("logs "),
            let digest = Hash(hex: checkpoint.extensions[0].dropFirst(5))
        else { throw LedgerError("\(name) is not an organisation checkpoint of \(origin)") }
        guard let manifest = try storage.read("org/logs/\(digest.hex)") else {
            throw LedgerError("\(storage.location): org/logs/\(digest.hex), named by \(name), is missing")
        }
        guard SHA256Hasher().sha256(manifest) == digest, let logs = Self.parseManifest(manifest) else {
            throw LedgerError("org/logs/\(digest.hex) does not match its name")
        }
        guard UInt64(logs.count) == checkpoint.size, try Self.root(of: logs.map(\.note)) == checkpoint.root else {
            throw LedgerError("\(name): its root is not the root of the log checkpoints it names")
        }
        return OrganisationCheckpoint(seq: seq, checkpoint: checkpoint, note: note, logs: logs)
    }

    func latestOrganisationSeq() throws(LedgerError) -> UInt64 {
        // Numbered without gaps: the same search as a log's commits.
        try LedgerWriter.latestNumber { (seq: UInt64) throws(LedgerError) in
            try storage.exists(Self.organisationName(seq))
        }
    }

    /// MTH over the checkpoint bodies (each note's text before its signatures).
    static func root(of notes: [String]) throws(LedgerError) -> Hash {
        let hasher = SHA256Hasher()
        let leaves = notes.map { note in
            hasher.leafHash(Array((note.components(separatedBy: "\n\n").first.map { $0 + "\n" } ?? note).utf8))
        }
        guard !leaves.isEmpty else { return SHA256Hasher.emptyRoot }
        func hash(_ range: ArraySlice<Hash>) -> Hash {
            guard range.count > 1 else { return range.first! }
            let k = Int(MerkleProofs.split(UInt64(range.count)))
            return hasher.nodeHash(hash(range.prefix(k)), hash(range.dropFirst(k)))
        }
        return hash(leaves[...])
    }

    /// `<topic>/<partition> <length>\n<note>` per log.
    static func manifest(_ logs: [(log: LogID, note: String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (log, note) in logs {
            let bytes = Array(note.utf8)
            out += Array("\(log) \(bytes.count)\n".utf8)
            out += bytes
        }
        return out
    }

    static func parseManifest(_ data: [UInt8]) -> [(log: LogID, note: String)]? {
        var out: [(log: LogID, note: String)] = []
        var offset = 0
        while offset < data.count {
            guard let newline = data[offset...].firstIndex(of: 0x0A) else { return nil }
            let header = String(decoding: data[offset..<newline], as: UTF8.self).split(separator: " ")
            guard header.count == 2, let length = Int(header[1]), newline + 1 + length <= data.count else { return nil }
            let name = header[0].split(separator: "/")
            guard name.count == 2, let partition = Int32(name[1]) else { return nil }
            let note = String(decoding: data[(newline + 1)..<(newline + 1 + length)], as: UTF8.self)
            out.append((LogID(topic: String(name[0]), partition: partition), note))
            offset = newline + 1 + length
        }
        return out
    }
}
