/// One sink as the delivery machine sees it: whether its acknowledgement
/// gates commits, and what happens to a batch when its queue is full.
public struct SinkPolicy: Sendable, Hashable {
    /// What happens to a batch when the sink's queue is full.
    public enum WhenFull: String, Sendable, Hashable, CaseIterable {
        /// The source waits (and, after `pauseAfter`, pauses): nothing is lost.
        case block
        /// The sink does not get the batch (counted); only for sinks that are not required.
        case skip
    }

    public var name: String
    /// Batches waiting for the sink, the one being written included, at most.
    public var capacity: Int
    public var whenFull: WhenFull
    /// A required sink must acknowledge a batch before its offsets are
    /// committed; one that is not gets the batch on a best-effort basis
    /// (a failed write is dropped after it was counted).
    public var required: Bool

    public init(name: String, capacity: Int = 4, whenFull: WhenFull = .block, required: Bool = true) {
        precondition(capacity > 0, "room for one batch")
        precondition(required ? whenFull == .block : true, "a required sink cannot skip batches")
        self.name = name
        self.capacity = capacity
        self.whenFull = whenFull
        self.required = required
    }
}
