/// What verifying a whole archive established.
public struct ArchiveVerification: Sendable {
    public var logs: [(log: LedgerArchive.LogID, result: LedgerVerification)] = []
    /// Registered logs without a checkpoint yet (nothing to verify).
    public var logsWithoutCheckpoint: [LedgerArchive.LogID] = []
    /// The organisation checkpoint checked against the logs (nil: none written yet).
    public var organisation: LedgerArchive.OrganisationCheckpoint?
    /// Logs with a checkpoint that the organisation checkpoint does not name
    /// (registered after it was signed).
    public var logsNewerThanOrganisation: [LedgerArchive.LogID] = []

    public var entries: UInt64 { logs.reduce(0) { $0 + $1.result.entries } }
}

extension LedgerArchive {
    /// Verifies every log (``LedgerReader/verify(verifier:old:progress:)``),
    /// then the latest organisation checkpoint: its signature, manifest and
    /// root, and for each log it names, that the log is still there, that
    /// the named checkpoint is signed, and that the log today is an
    /// extension of it (an RFC 9162 consistency proof from its tiles). A log
    /// that went missing or shrank fails.
    public func verify(
        verifier: NoteVerifier,
        progress: (LogID, UInt64, UInt64) -> Void = { _, _, _ in }
    ) throws(LedgerError) -> ArchiveVerification {
        var result = ArchiveVerification()
        // The organisation checkpoint first: the logs only grow, so every log
        // read after it is at least as large as it signed, even while workers write.
        let latestOrganisation = try latestOrganisationCheckpoint(verifier: verifier)
        let registered = try logs()
        for log in registered {
            let reader = reader(for: log)
            guard try reader.latestCheckpointSize() > 0 else {
                result.logsWithoutCheckpoint.append(log)
                continue
            }
            do {
                result.logs.append((log, try reader.verify(verifier: verifier) { progress(log, $0, $1) }))
            } catch {
                throw LedgerError("log \(log): \(error)")
            }
        }
        guard let organisation = latestOrganisation else { return result }
        result.organisation = organisation
        let verified = Dictionary(uniqueKeysWithValues: result.logs.map { ($0.log, $0.result.checkpoint) })
        for (log, note) in organisation.logs {
            guard let current = verified[log] else {
                throw LedgerError("log \(log) is named by organisation checkpoint \(organisation.seq) but is missing")
            }
            let then = try LedgerReader.open(
                note,
                verifier: verifier,
                name: "log \(log) in organisation checkpoint \(organisation.seq)"
            )
            guard then.origin == current.origin else {
                throw LedgerError("log \(log): organisation checkpoint \(organisation.seq) names another origin")
            }
            guard then.size <= current.size else {
                throw LedgerError(
                    "log \(log) holds \(current.size) entries, fewer than the \(then.size) organisation checkpoint \(organisation.seq) signed"
                )
            }
            guard then.size > 0 else { continue }
            do {
                let reader = reader(for: log)
                let proof = try reader.consistencyProof(old: then.size, new: current.size, within: current.size)
                try MerkleProofs.verifyConsistency(
                    old: then.size,
                    new: current.size,
                    oldRoot: then.root,
                    newRoot: current.root,
                    proof: then.size == current.size ? [] : proof,
                    hasher: SHA256Hasher()
                )
            } catch {
                throw LedgerError(
                    "log \(log) is not consistent with organisation checkpoint \(organisation.seq): \(error)"
                )
            }
        }
        let named = Set(organisation.logs.map(\.log))
        result.logsNewerThanOrganisation = result.logs.map(\.log).filter { !named.contains($0) }
        return result
    }
}
