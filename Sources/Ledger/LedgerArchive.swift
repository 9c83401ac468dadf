import Dispatch

/// The cold tier: one log per source partition, each written by whoever
/// owns the partition now, all in one storage (a directory or a bucket):
///
///     logs/<topic>/<partition>/...   one log (C2SP tiles, commits, checkpoints)
///     registry/<topic>/<partition>   one small object per log, so readers can list the logs
///     org/<seq>                      a signed organisation checkpoint
///     org/<seq>.logs                 the log checkpoints it commits to
///
/// A log's origin is `<key name>/<topic>/<partition>`; everything is signed
/// with the one key whose name is the archive's origin.
public final class LedgerArchive: @unchecked Sendable {
    public let storage: any LedgerStorage
    public let origin: String

    public init(storage: any LedgerStorage, origin: String) {
        self.storage = storage
        self.origin = origin
    }

    public struct LogID: Hashable, Sendable, Comparable, CustomStringConvertible {
        public var topic: String
        public var partition: Int32

        public init(topic: String, partition: Int32) {
            self.topic = topic
            self.partition = partition
        }

        public var description: String { "\(topic)/\(partition)" }

        public static func < (a: LogID, b: LogID) -> Bool {
            a.topic != b.topic ? a.topic < b.topic : a.partition < b.partition
        }
    }

    public func logStorage(_ log: LogID) -> PrefixedStorage { PrefixedStorage(storage, prefix: "logs/\(log)") }

    public func origin(of log: LogID) -> String { "\(origin)/\(log)" }

    /// Opens (and so claims) the log of a partition, registering it first.
    public func writer(for log: LogID, signer: NoteSigner?) throws(LedgerError) -> LedgerWriter {
        try Self.checkTopic(log.topic)
        try storage.createIdempotently([("registry/\(log)", Array(origin(of: log).utf8))])
        return try LedgerWriter(storage: logStorage(log), origin: origin(of: log), signer: signer)
    }

    public func reader(for log: LogID) -> LedgerReader { LedgerReader(storage: logStorage(log)) }

    /// Every registered log, in order.
    public func logs() throws(LedgerError) -> [LogID] {
        try storage.listAll(prefix: "registry/").compactMap { name in
            let parts = name.dropFirst("registry/".count).split(separator: "/")
            guard parts.count == 2, let partition = Int32(parts[1]) else { return nil }
            return LogID(topic: String(parts[0]), partition: partition)
        }.sorted()
    }

    /// Kafka topic names are `[a-zA-Z0-9._-]`: safe as one path segment.
    static func checkTopic(_ topic: String) throws(LedgerError) {
        guard !topic.isEmpty, topic != ".", topic != "..",
            topic.utf8.allSatisfy({
                $0 == 0x2E || $0 == 0x5F || $0 == 0x2D || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
                    || (0x61...0x7A).contains($0)
            })
        else { throw LedgerError("the topic name '\(topic)' cannot name a log") }
    }
}
