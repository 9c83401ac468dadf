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
            runs.add(OffsetRun(first: offset, last: offset, count: 1), to: partition)
        }
        return runs
    }
}

extension Dictionary where Value == OffsetRun {
    /// Widens the partition's run by `run` (a partition may come back in one batch).
    public mutating func add(_ run: OffsetRun, to partition: Key) {
        guard let known = self[partition] else {
            self[partition] = run
            return
        }
        self[partition] = OffsetRun(
            first: Swift.min(known.first, run.first),
            last: Swift.max(known.last, run.last),
            count: known.count + run.count
        )
    }
}
