import Blocking
import Foundation
import Kafka
import Ledger
import Logging
import ServiceLifecycle
import Telemetry

/// Where and how the worker mirrors raw messages into the ledger.
public struct LedgerConfiguration: Sendable {
    /// The archive's storage: a local directory or an S3 bucket.
    public var storage: any LedgerStorage
    /// The signer key (C2SP note format); its name is the archive's origin.
    public var signerKey: String
    /// A checkpoint after this many new entries, or this long, whichever first.
    public var checkpointEveryEntries: UInt64
    public var checkpointInterval: Duration

    public init(
        storage: any LedgerStorage,
        signerKey: String,
        checkpointEveryEntries: UInt64,
        checkpointInterval: Duration
    ) {
        self.storage = storage
        self.signerKey = signerKey
        self.checkpointEveryEntries = checkpointEveryEntries
        self.checkpointInterval = checkpointInterval
    }

    /// A ledger in a local directory.
    public init(
        directory: String,
        signerKey: String,
        checkpointEveryEntries: UInt64,
        checkpointInterval: Duration
    )
        throws
    {
        self.init(
            storage: try DirectoryStorage(root: directory),
            signerKey: signerKey,
            checkpointEveryEntries: checkpointEveryEntries,
            checkpointInterval: checkpointInterval
        )
    }
}

/// Mirrors every consumed message (valid or not: the ledger records what
/// the gateway sent; the decoder's verdict is the business of the dead-letter
/// topic) into its partition's log before anything else sees the batch. An
/// append returns once the batch is durable, so no offset is committed for a
/// message the ledger does not hold. The writers run on the stage's own
/// queue, the partitions of a batch side by side.
///
/// A partition's log is claimed when this worker first writes to it after
/// the partition was assigned, and let go when it is revoked. A writer that
/// finds itself fenced (another worker claimed the log) stays fenced until
/// the partition is assigned here again: retrying must not take the log
/// back from its new owner, and the partition's messages in this worker's
/// batches are left to that owner (a zombie's commits are refused by the
/// group; the owner reads from the last commit, which never passed the log).
final class LedgerStage: @unchecked Sendable {
    private let archive: LedgerArchive
    private let signer: NoteSigner
    private let configuration: LedgerConfiguration
    private let blocking = BlockingQueue(label: "countersign.ledger")
    private let lock = NSLock()
    private var writers: [LedgerArchive.LogID: LedgerWriter] = [:]
    private var fenced: [LedgerArchive.LogID: String] = [:]
    private var lastCheckpoint = ContinuousClock.now
    /// For the gauges: entries in the logs this worker writes, at the last checkpoint.
    private(set) var size: UInt64 = 0
    private var checkpointSize: UInt64 = 0
    private var checkpointAt: Date?

    init(configuration: LedgerConfiguration) throws {
        do {
            signer = try NoteSigner(signerKey: configuration.signerKey)
        } catch {
            throw LedgerError("the ledger's signer key is unusable: \(error)")
        }
        archive = LedgerArchive(storage: configuration.storage, origin: signer.name)
        self.configuration = configuration
    }

    /// Lets go of a revoked partition's log: the next owner claims it.
    func forget(_ partition: TopicPartition) {
        let log = LedgerArchive.LogID(topic: partition.topic, partition: partition.partition)
        lock.withLock {
            writers[log] = nil
            fenced[log] = nil
        }
    }

    /// The partition's writer; nil once another worker has claimed its log.
    private func writer(_ log: LedgerArchive.LogID) throws -> LedgerWriter? {
        if lock.withLock({ fenced[log] }) != nil { return nil }
        if let writer = lock.withLock({ writers[log] }) { return writer }
        let writer = try archive.writer(for: log, signer: signer)
        lock.withLock { writers[log] = writer }
        return writer
    }

    /// Appends the raw messages; returns each one's leaf index in its partition's log.
    func append(_ messages: [KafkaConsumer.Message], eventIDs: [String?]) async throws -> [UInt64?] {
        var groups: [LedgerArchive.LogID: [Int]] = [:]
        var order: [LedgerArchive.LogID] = []
        for (position, message) in messages.enumerated() {
            let log = LedgerArchive.LogID(topic: message.topic, partition: message.partition)
            if groups[log] == nil { order.append(log) }
            groups[log, default: []].append(position)
        }
        let result: Result<(leaves: [UInt64?], size: UInt64), any Error> = await blocking.run {
            [self, groups, order] in
            let results = Results(count: messages.count, logs: order.count)
            Self.sideBySide(order.count) { [self] index in
                let log = order[index]
                let positions = groups[log]!
                do {
                    // Fenced: the partition is another worker's now; its new owner
                    // reads these messages again from the group's commit (which
                    // never passed what this log holds) and appends them. They
                    // are not stored here and keep no leaf index; retrying would
                    // never succeed and would hold the batch (and a shutdown) forever.
                    guard let writer = try writer(log) else { return }
                    let batch = positions.map { position in
                        LedgerMessage(
                            topic: log.topic,
                            partition: log.partition,
                            offset: messages[position].offset,
                            bytes: messages[position].value,
                            eventID: eventIDs[position]
                        )
                    }
                    do {
                        results.set(positions, try writer.append(batch))
                    } catch let error as LedgerFenced {
                        lock.withLock {
                            fenced[log] = error.description
                            writers[log] = nil
                        }
                    }
                } catch {
                    results.fail(error)
                }
            }
            if let failure = results.failure { return .failure(failure) }
            return .success((results.leaves, lock.withLock { writers.values.reduce(0) { $0 + $1.size } }))
        }
        let value = try result.get()
        size = value.size
        return value.leaves
    }

    /// Signs a checkpoint of every log written since its last one when
    /// enough entries or time went by, then an organisation checkpoint.
    func checkpointIfDue(force: Bool = false) async throws {
        let now = ContinuousClock.now
        let result: Result<Bool, any Error> = await blocking.run { [self] in
            let open = lock.withLock { Array(writers.values) }
            let fresh = open.reduce(UInt64(0)) { $0 + ($1.size - $1.checkpointSize) }
            guard fresh > 0 || force,
                force || fresh >= configuration.checkpointEveryEntries
                    || now - lastCheckpoint >= configuration.checkpointInterval
            else { return .success(false) }
            let due = open.filter { $0.size > $0.checkpointSize }
            let results = Results(count: 0, logs: due.count)
            Self.sideBySide(due.count) { [self] index in
                do {
                    try due[index].checkpoint()
                } catch {
                    results.fail(error)
                }
            }
            if let failure = results.failure { return .failure(failure) }
            do {
                try archive.writeOrganisationCheckpoint(signer: signer)
            } catch {
                return .failure(error)
            }
            return .success(true)
        }
        if try result.get() {
            lastCheckpoint = now
            checkpointSize = size
            checkpointAt = Date()
        }
    }

    func report(to metrics: PipelineMetrics) {
        metrics.ledger(entries: size, checkpointEntries: checkpointSize, checkpointAt: checkpointAt)
    }

    /// Runs `body` for 0..<count, eight at a time: the logs' writes block on
    /// storage (fsyncs, or requests to a bucket), not on the two cores.
    static func sideBySide(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        SideBySide.run(count, width: 8, body)
    }

    /// Leaf indexes gathered from the partitions' appends, side by side.
    private final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var leaves: [UInt64?]
        private(set) var failure: (any Error)?

        init(count: Int, logs: Int) { leaves = [UInt64?](repeating: nil, count: count) }

        func set(_ positions: [Int], _ values: [UInt64?]) {
            lock.withLock { for (position, value) in zip(positions, values) { leaves[position] = value } }
        }

        func fail(_ error: any Error) { lock.withLock { if failure == nil { failure = error } } }
    }
}

/// Verifies the ledger now and then, as an auditor would (`ledger verify`):
/// recomputes every tile and the root and checks the checkpoint's
/// signature, off the writer's queue. The result goes to the metrics and,
/// when it fails, to the log with the file it names.
public struct LedgerVerifyService: Service {
    let storage: any LedgerStorage
    let origin: String
    let verifierKey: String
    let interval: Duration
    let metrics: PipelineMetrics
    let logger: Logger

    public init(configuration: LedgerConfiguration, interval: Duration, metrics: PipelineMetrics, logger: Logger) throws
    {
        let signer: NoteSigner
        do {
            signer = try NoteSigner(signerKey: configuration.signerKey)
        } catch {
            throw LedgerError("the ledger's signer key is unusable: \(error)")
        }
        storage = configuration.storage
        origin = signer.name
        verifierKey = signer.verifier.verifierKey
        self.interval = interval
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        let blocking = BlockingQueue(label: "countersign.ledger.verify")
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // The wait ends early on a graceful shutdown: an hour-long sleep must not hold the group.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { return }
            let (archive, key) = (LedgerArchive(storage: storage, origin: origin), self.verifierKey)
            let failure: String? = await blocking.run {
                do {
                    _ = try archive.verify(verifier: try NoteVerifier(verifierKey: key))
                    return nil
                } catch {
                    return "\(error)"
                }
            }
            metrics.ledgerVerified(success: failure == nil, at: Date())
            if let failure { logger.error("ledger verification failed", metadata: ["error": "\(failure)"]) }
        }
    }
}
