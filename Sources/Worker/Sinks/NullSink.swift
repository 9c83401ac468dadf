import Pipeline

/// Acknowledges every batch at once; for benchmarks of the source alone.
public struct NullSink: Sink {
    public let name = "null"

    public init() {}

    public func write(_ batch: EventBatch) async throws -> SinkOutcome { .accepted }
}
