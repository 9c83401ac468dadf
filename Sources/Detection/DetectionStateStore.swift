/// A partition's detection engine as saved: the bytes of
/// ``DetectionEngine/snapshot()`` and the offset of the first message the
/// engine has not seen, where its next owner starts reading.
public struct SavedDetectionState: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var nextOffset: Int64
    public var snapshot: [UInt8]

    public init(topic: String, partition: Int32, nextOffset: Int64, snapshot: [UInt8]) {
        self.topic = topic
        self.partition = partition
        self.nextOffset = nextOffset
        self.snapshot = snapshot
    }
}

/// Where each partition's detection state waits between its owners. A
/// partition moves between workers (a rebalance, a crash, a worker added);
/// its next owner restores the state saved here and reads on from its next
/// offset, so baselines learnt over weeks follow the partition instead of
/// starting cold on another host.
///
/// Calls block (files, a database round trip): call them from librdkafka's
/// thread or a blocking queue, never from Swift's cooperative pool.
public protocol DetectionStateStore: Sendable {
    /// Names the store in logs and errors, without secrets.
    var description: String { get }
    /// The partition's latest state, or nil when none was saved.
    func load(topic: String, partition: Int32) throws(DetectionStateError) -> SavedDetectionState?
    /// Saves each state whole or not at all. A state older than the one
    /// stored (a smaller next offset: an earlier owner that has not noticed
    /// the partition moved) is not written over the newer one.
    func save(_ states: [SavedDetectionState]) throws(DetectionStateError)
}

/// Why a state could not be read or saved (no snapshot bytes in it).
public struct DetectionStateError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
