import AuditEvent
import Blocking
import Pipeline

#if canImport(Glibc)
import Glibc
#endif

/// Appends every acknowledged event to a file, one line of canonical
/// `mcp.audit/1` JSON each, and fsyncs before acknowledging: what the file
/// holds is exactly what the sink acknowledged, which is what tests and
/// offline tools (`detect`) need. The file only grows; rotate it externally.
public final class JSONLinesSink: Sink, @unchecked Sendable {
    public let name = "jsonl"
    public let path: String
    private let descriptor: Int32
    /// fsync applies to regular files only: a FIFO or /dev/null refuses it
    /// (EINVAL), and what is written to one is as safe as it gets.
    private let durable: Bool
    private let blocking = BlockingQueue(label: "countersign.sink.jsonl")

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init(path: String) throws(Failure) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            throw Failure(description: "cannot open '\(path)' for appending: \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.descriptor = descriptor
        durable = !OutputFile.isSpecial(path)
    }

    deinit { close(descriptor) }

    public func write(_ batch: EventBatch) async throws -> SinkOutcome {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(batch.events.count * 600)
        for consumed in batch.events {
            bytes += consumed.event.jsonBytes()
            bytes.append(UInt8(ascii: "\n"))
        }
        let descriptor = self.descriptor
        let path = self.path
        let durable = self.durable
        let failure = await blocking.run { [bytes] in
            durable
                ? FileWrites.writeDurably(bytes, to: descriptor, path: path)
                : FileWrites.writeAll(bytes, to: descriptor, path: path)
        }
        if let failure { throw Failure(description: failure) }
        return .accepted
    }
}

extension JSONLinesSink: SinkKind {
    public struct Settings: Sendable {
        /// The file (or FIFO, or device) each acknowledged event is appended to.
        public var path: String
    }

    public static let type = "jsonl"

    public static func settings(from entry: inout YAMLObject) throws(PipelineFileError) -> Settings {
        try entry.only(["type", "path"])
        return Settings(path: try entry.string("path"))
    }

    public static func build(_ settings: Settings, context: SinkContext) throws -> BuiltSink {
        BuiltSink(sink: try JSONLinesSink(path: settings.path))
    }
}
