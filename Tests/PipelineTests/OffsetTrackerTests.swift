import Pipeline
import Testing

/// The tracker is generic over its partition key; the tests use their own.
struct TestPartition: Hashable, Sendable {
    var topic: String
    var partition: Int32
}

typealias Tracker = OffsetTracker<TestPartition>

@Suite("Offset tracker")
struct OffsetTrackerTests {
    let p0 = TestPartition(topic: "mcp.audit", partition: 0)
    let p1 = TestPartition(topic: "mcp.audit", partition: 1)

    @Test("the commit point moves only over messages every sink acknowledged")
    func contiguousPrefix() throws {
        var tracker = Tracker(requiredSinks: 2, maxInFlight: 100)
        for offset in 10..<15 { try tracker.consumed(p0, offset: Int64(offset)) }
        tracker.acknowledged(p0, offset: 10, sink: 0)
        #expect(tracker.takeCommittable().isEmpty)
        tracker.acknowledged(p0, offset: 10, sink: 1)
        #expect(tracker.takeCommittable() == [p0: 11])
        // 12 fully acknowledged, 11 not yet: the point stays at 11.
        tracker.acknowledged(p0, offset: 12, sink: 0)
        tracker.acknowledged(p0, offset: 12, sink: 1)
        #expect(tracker.takeCommittable().isEmpty)
        tracker.acknowledged(p0, offset: 11, sink: 1)
        tracker.acknowledged(p0, offset: 11, sink: 0)
        #expect(tracker.takeCommittable() == [p0: 13])
        #expect(tracker.inFlight(p0) == 2)
        // Nothing moved since: nothing to commit again.
        #expect(tracker.takeCommittable().isEmpty)
    }

    @Test("acknowledging twice, or an offset not in flight, changes nothing")
    func idempotent() throws {
        var tracker = Tracker(requiredSinks: 2, maxInFlight: 10)
        try tracker.consumed(p0, offset: 0)
        tracker.acknowledged(p0, offset: 0, sink: 0)
        tracker.acknowledged(p0, offset: 0, sink: 0)
        tracker.acknowledged(p0, offset: 7, sink: 1)
        tracker.acknowledged(p1, offset: 0, sink: 1)
        #expect(tracker.takeCommittable().isEmpty)
        tracker.acknowledged(p0, offset: 0, sink: 1)
        #expect(tracker.takeCommittable() == [p0: 1])
    }

    @Test("partitions advance independently; gaps in offsets are allowed")
    func partitions() throws {
        var tracker = Tracker(requiredSinks: 1, maxInFlight: 10)
        try tracker.consumed(p0, offset: 5)
        try tracker.consumed(p0, offset: 9)  // compacted topics skip offsets
        try tracker.consumed(p1, offset: 0)
        tracker.acknowledged(p0, offset: 9, sink: 0)
        tracker.acknowledged(p1, offset: 0, sink: 0)
        #expect(tracker.takeCommittable() == [p1: 1])
        tracker.acknowledgedByAll(p0, offset: 5)
        #expect(tracker.takeCommittable() == [p0: 10])
    }

    @Test("a full partition refuses more until acknowledgements free room")
    func bounded() throws {
        var tracker = Tracker(requiredSinks: 1, maxInFlight: 3)
        for offset in 0..<3 { try tracker.consumed(p0, offset: Int64(offset)) }
        #expect(throws: Tracker.Refusal.full) { try tracker.consumed(p0, offset: 3) }
        try tracker.consumed(p1, offset: 0)  // another partition has its own room
        tracker.acknowledged(p0, offset: 1, sink: 0)
        #expect(throws: Tracker.Refusal.full) { try tracker.consumed(p0, offset: 3) }
        tracker.acknowledged(p0, offset: 0, sink: 0)
        try tracker.consumed(p0, offset: 3)
        #expect(tracker.inFlight(p0) == 2)
        #expect(tracker.totalInFlight == 3)
    }

    @Test("offsets must increase; a reset partition starts over")
    func ordering() throws {
        var tracker = Tracker(requiredSinks: 1, maxInFlight: 10)
        try tracker.consumed(p0, offset: 4)
        #expect(throws: Tracker.Refusal.notIncreasing) { try tracker.consumed(p0, offset: 4) }
        tracker.acknowledged(p0, offset: 4, sink: 0)
        #expect(tracker.takeCommittable() == [p0: 5])
        #expect(throws: Tracker.Refusal.notIncreasing) { try tracker.consumed(p0, offset: 2) }
        tracker.reset(p0)
        try tracker.consumed(p0, offset: 2)  // redelivered after a rebalance
        #expect(tracker.inFlight(p0) == 1)
    }

    @Test("100,000 messages acknowledged in shuffled order commit exactly once, in full")
    func shuffledAcknowledgements() throws {
        var tracker = Tracker(requiredSinks: 3, maxInFlight: 100_000)
        let count = 100_000
        for offset in 0..<count { try tracker.consumed(p0, offset: Int64(offset)) }
        var acknowledgements = (0..<count).flatMap { offset in (0..<3).map { (Int64(offset), $0) } }
        var random = SystemRandomNumberGenerator()
        acknowledgements.shuffle(using: &random)
        var lastCommitted: Int64 = 0
        for (index, (offset, sink)) in acknowledgements.enumerated() {
            tracker.acknowledged(p0, offset: offset, sink: sink)
            if index % 1_000 == 0, let next = tracker.takeCommittable()[p0] {
                #expect(next > lastCommitted)
                lastCommitted = next
            }
        }
        if let next = tracker.takeCommittable()[p0] { lastCommitted = next }
        #expect(lastCommitted == Int64(count))
        #expect(tracker.inFlight(p0) == 0)
    }

    @Test("a run of offsets is one entry, acknowledged by its last offset; a run that goes back is refused")
    func runs() throws {
        var tracker = Tracker(requiredSinks: 1, maxInFlight: 100)
        try tracker.consumed(p0, first: 10, last: 19)
        try tracker.consumed(p0, first: 20, last: 24)
        #expect(tracker.inFlight(p0) == 2)
        tracker.acknowledgedByAll(p0, offset: 24)
        #expect(tracker.takeCommittable().isEmpty)
        tracker.acknowledgedByAll(p0, offset: 19)
        #expect(tracker.takeCommittable() == [p0: 25])
        #expect(throws: Tracker.Refusal.notIncreasing) { try tracker.consumed(p0, first: 22, last: 30) }
    }
}
