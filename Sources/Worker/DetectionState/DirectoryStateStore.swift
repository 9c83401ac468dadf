import Blocking
import Detection
import Foundation

/// Detection state in a local directory, one file per partition:
/// `<topic>.<partition>.state`, holding the next offset (8 bytes, little
/// endian) and the engine's bytes. Written to a temporary name, fsynced,
/// then renamed, so a reader sees the old file or the new one, never half
/// of one. A directory serves the workers of one host; workers on several
/// hosts share ``PostgresStateStore`` instead (docs/scale-out.md).
public struct DirectoryStateStore: DetectionStateStore {
    public let directory: String

    public init(directory: String) throws(DetectionStateError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DetectionStateError("cannot create the state directory \(directory)")
        }
        self.directory = directory
    }

    public var description: String { "directory \(directory)" }

    func path(topic: String, partition: Int32) -> String {
        let safe = topic.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
        return "\(directory)/\(String(safe)).\(partition).state"
    }

    public func load(topic: String, partition: Int32) throws(DetectionStateError) -> SavedDetectionState? {
        guard let data = FileManager.default.contents(atPath: path(topic: topic, partition: partition)),
            data.count >= 8
        else { return nil }
        let bytes = [UInt8](data)
        return SavedDetectionState(
            topic: topic,
            partition: partition,
            nextOffset: Self.offset(bytes.prefix(8)),
            snapshot: Array(bytes[8...])
        )
    }

    public func save(_ states: [SavedDetectionState]) throws(DetectionStateError) {
        for state in states {
            let path = path(topic: state.topic, partition: state.partition)
            if let stored = Self.nextOffset(path), stored > state.nextOffset { continue }
            var bytes = [UInt8](repeating: 0, count: 8)
            for index in 0..<8 { bytes[index] = UInt8(truncatingIfNeeded: state.nextOffset >> (8 * Int64(index))) }
            bytes += state.snapshot
            do {
                try OutputFile.replace(
                    path,
                    with: bytes,
                    permissions: 0o640,
                    durable: true
                )
            } catch {
                throw DetectionStateError(error.description)
            }
        }
    }

    /// The next offset a state file holds (its first 8 bytes), without reading the rest.
    static func nextOffset(_ path: String) -> Int64? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 8), data.count == 8 else { return nil }
        return offset(data)
    }

    /// The little-endian offset at the head of a state file.
    static func offset(_ head: some Collection<UInt8>) -> Int64 {
        head.enumerated().reduce(0) { $0 | Int64($1.element) << (8 * Int64($1.offset)) }
    }
}
