/// The messages of one partition in one batch: its first and last offset
/// and how many there are. A batch is acknowledged whole, so the delivery
/// machine tracks runs, not messages: one entry per partition per batch.
public struct OffsetRun: Sendable, Hashable {
    public var first: Int64
    public var last: Int64
    public var count: Int

    public init(first: Int64, last: Int64, count: Int) {
        self.first = first
        self.last = last
        self.count = count
    }

    /// The runs of messages given as (partition, offset) in consumption order.
    public static func runs<Partition: Hashable>(_ messages: [(Partition, Int64)]) -> [Partition: OffsetRun] {
        var runs: [Partition: OffsetRun] = [:]
        for (partition, offset) in messages {
            if var run = runs[partition] {
                run.first = min(run.first, offset)
                run.last = max(run.last, offset)
                run.count += 1
                runs[partition] = run
            } else {
                runs[partition] = OffsetRun(first: offset, last: offset, count: 1)
            }
        }
        return runs
    }
}
