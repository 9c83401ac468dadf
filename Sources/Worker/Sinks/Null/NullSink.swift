import Pipeline

/// Acknowledges every batch at once; for benchmarks of the source alone.
public struct NullSink: Sink {
    public let name = "null"

    public init() {}

    public func write(_ batch: EventBatch) async throws -> SinkOutcome { .accepted }
}

extension NullSink: SinkKind {
    public static let type = "null"

    public static func settings(from entry: inout YAMLObject) throws(PipelineFileError) {
        try entry.only(["type"])
    }

    public static func build(_ settings: Void, context: SinkContext) -> BuiltSink { BuiltSink(sink: NullSink()) }
}
