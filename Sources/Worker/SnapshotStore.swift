import Blocking
import Foundation
import Kafka

/// Detection snapshots on the local filesystem, one file per partition:
/// `<topic>.<partition>.state`, holding the next offset the engine expects
/// and the engine's bytes. Written to a temporary name, fsynced, then
/// renamed, so a reader sees the old file or the new one, never half of one.
/// Files on one host serve workers on that host; a cluster of workers on
/// several hosts keeps them in PostgreSQL instead (hot-tier issue).
struct SnapshotStore: Sendable {
    let directory: String

    struct Saved {
        var nextOffset: Int64
        var snapshot: [UInt8]
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
    }

    func path(_ partition: TopicPartition) -> String {
        let safe = partition.topic.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
        return "\(directory)/\(String(safe)).\(partition.partition).state"
    }

    func load(_ partition: TopicPartition) -> Saved? {
        guard let data = FileManager.default.contents(atPath: path(partition)), data.count >= 8 else { return nil }
        let bytes = [UInt8](data)
        var offset: Int64 = 0
        for index in 0..<8 { offset |= Int64(bytes[index]) << (8 * Int64(index)) }
        return Saved(nextOffset: offset, snapshot: Array(bytes[8...]))
    }

    func save(_ partition: TopicPartition, nextOffset: Int64, snapshot: [UInt8]) throws {
        var bytes = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { bytes[index] = UInt8(truncatingIfNeeded: nextOffset >> (8 * Int64(index))) }
        bytes += snapshot
        do {
            try OutputFile.replace(path(partition), with: bytes, permissions: 0o640, durable: true)
        } catch {
            throw Failure(description: error.description)
        }
    }
}
