import Blocking
import Foundation
import Kafka
import Ledger
import Logging
import ServiceLifecycle
import Telemetry

/// Where and how the worker mirrors raw messages into the ledger.
public struct LedgerConfiguration: Sendable {
    public var directory: String
    /// The signer key (C2SP note format); its name is the log's origin.
    public var signerKey: String
    /// A checkpoint after this many new entries, or this long, whichever first.
    public var checkpointEveryEntries: UInt64
    public var checkpointInterval: Duration

    public init(directory: String, signerKey: String, checkpointEveryEntries: UInt64, checkpointInterval: Duration) {
        self.directory = directory
        self.signerKey = signerKey
        self.checkpointEveryEntries = checkpointEveryEntries
        self.checkpointInterval = checkpointInterval
    }
}

/// Mirrors every consumed message (valid or not: the ledger records what
/// the gateway sent; the decoder's verdict is the business of the dead-letter
/// topic) into the ledger before anything else sees the batch. An append
/// returns once the batch is durable, so no offset is committed for a
/// message the ledger does not hold. The writer runs on its own queue.
final class LedgerStage: @unchecked Sendable {
    private let writer: LedgerWriter
    private let configuration: LedgerConfiguration
    private let blocking = BlockingQueue(label: "countersign.ledger")
    private var lastCheckpoint = ContinuousClock.now
    /// For the gauges: the size after the last append, the last checkpoint.
    private(set) var size: UInt64 = 0
    private var checkpointSize: UInt64 = 0
    private var checkpointAt: Date?

    init(configuration: LedgerConfiguration) throws {
        let signer: NoteSigner
        do {
            signer = try NoteSigner(signerKey: configuration.signerKey)
        } catch {
            throw LedgerError("the ledger's signer key is unusable: \(error)")
        }
        writer = try LedgerWriter(directory: configuration.directory, origin: signer.name, signer: signer)
        self.configuration = configuration
    }

    /// Appends the raw messages; returns each one's leaf index (``size`` follows).
    func append(_ messages: [KafkaConsumer.Message], eventIDs: [String?]) async throws -> [UInt64?] {
        let batch = zip(messages, eventIDs).map { message, id in
            LedgerMessage(
                topic: message.topic,
                partition: message.partition,
                offset: message.offset,
                bytes: message.value,
                eventID: id
            )
        }
        let result: Result<(leaves: [UInt64?], size: UInt64), LedgerError> = await blocking.run { [writer] in
            do throws(LedgerError) {
                return .success((try writer.append(batch), writer.size))
            } catch {
                return .failure(error)
            }
        }
        let value = try result.get()
        size = value.size
        return value.leaves
    }

    /// Signs a checkpoint when enough entries or time went by since the last.
    func checkpointIfDue(force: Bool = false) async throws {
        let now = ContinuousClock.now
        let result: Result<Bool, LedgerError> = await blocking.run { [writer, configuration, lastCheckpoint] in
            let fresh = writer.size - writer.checkpointSize
            guard fresh > 0 || (writer.size == 0 && force),
                force || fresh >= configuration.checkpointEveryEntries
                    || now - lastCheckpoint >= configuration.checkpointInterval
            else { return .success(false) }
            do throws(LedgerError) {
                try writer.checkpoint()
                return .success(true)
            } catch {
                return .failure(error)
            }
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
}

/// Verifies the ledger now and then, as an auditor would (`ledger verify`):
/// recomputes every tile and the root and checks the checkpoint's
/// signature, off the writer's queue. The result goes to the metrics and,
/// when it fails, to the log with the file it names.
public struct LedgerVerifyService: Service {
    let directory: String
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
        directory = configuration.directory
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
            guard FileManager.default.fileExists(atPath: directory + "/checkpoint") else { continue }
            let (directory, key) = (self.directory, self.verifierKey)
            let failure: String? = await blocking.run {
                do {
                    _ = try LedgerReader(directory: directory).verify(verifier: try NoteVerifier(verifierKey: key))
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
