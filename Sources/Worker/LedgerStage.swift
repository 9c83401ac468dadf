import Blocking
import Kafka
import Ledger
import Logging

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

    /// Appends the raw messages; returns each one's leaf index and the tree size.
    func append(
        _ messages: [KafkaConsumer.Message],
        eventIDs: [String?]
    ) async throws -> (leaves: [UInt64?], size: UInt64) {
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
        return try result.get()
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
        if try result.get() { lastCheckpoint = now }
    }
}
